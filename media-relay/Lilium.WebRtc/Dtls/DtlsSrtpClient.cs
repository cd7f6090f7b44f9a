using System.Collections;
using Org.BouncyCastle.Crypto.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The DTLS 1.2 client side of DTLS-SRTP (the <c>a=setup:active</c> peer), for the SDK:
/// offers our SRTP profiles, requires extended master secret, checks the server certificate
/// against the answer's fingerprint and presents our certificate when asked.
/// </summary>
internal sealed class DtlsSrtpClient(DtlsCertificate certificate, DtlsFingerprint remoteFingerprint, IReadOnlyList<SrtpProtectionProfile> profiles, int handshakeTimeoutMillis)
    : DefaultTlsClient, IDtlsSrtpPeer
{
    private readonly DtlsCertificate _certificate = certificate;
    private readonly DtlsFingerprint _remoteFingerprint = remoteFingerprint;
    private SrtpProtectionProfile? _selected;

    public SrtpKeyingMaterial? Keys { get; private set; }

    public DtlsPeerEvents Events { get; } = new();

    public DtlsRecordGuard? RecordGuard { get; private set; }

    public override int GetHandshakeTimeoutMillis() => handshakeTimeoutMillis;

    public override bool RequiresExtendedMasterSecret() => true;

    public override ProtocolVersion ClientVersion => ProtocolVersion.DTLSv12;

    public override ProtocolVersion MinimumVersion => ProtocolVersion.DTLSv12;

    public override int[] GetCipherSuites() => DtlsSrtpPolicy.CipherSuites;

    public override IDictionary GetClientExtensions()
    {
        var extensions = base.GetClientExtensions() ?? new Hashtable();
        TlsSRTPUtils.AddUseSrtpExtension(extensions, new UseSrtpData(profiles.Select(p => (int)p).ToArray(), []));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var chosen = TlsSRTPUtils.GetUseSrtpExtension(serverExtensions)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure);
        if (chosen.ProtectionProfiles.Length != 1 || !profiles.Contains((SrtpProtectionProfile)chosen.ProtectionProfiles[0]))
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter);
        }

        _selected = (SrtpProtectionProfile)chosen.ProtectionProfiles[0];
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        Keys = DtlsSrtpPolicy.Export(mContext, _selected!.Value, DtlsRole.Client);
        RecordGuard = DtlsRecordGuard.Create(mContext, DtlsRole.Client);
    }

    public override void NotifyAlertReceived(byte alertLevel, byte alertDescription) =>
        Events.AlertReceived(alertLevel, alertDescription);

    public override void NotifyAlertRaised(byte alertLevel, byte alertDescription, string message, Exception cause) =>
        Events.AlertRaised(alertLevel, alertDescription, message);

    private sealed class Authentication(DtlsSrtpClient owner) : TlsAuthentication
    {
        public void NotifyServerCertificate(Certificate serverCertificate) =>
            DtlsSrtpPolicy.VerifyPeer(serverCertificate, owner._remoteFingerprint);

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            new DefaultTlsSignerCredentials(owner.mContext, owner._certificate.Chain, owner._certificate.PrivateKey, DtlsSrtpPolicy.EcdsaSha256);
    }
}
