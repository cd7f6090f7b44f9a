using System.Collections;
using Org.BouncyCastle.Crypto.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The DTLS 1.2 server side of DTLS-SRTP (the <c>a=setup:passive</c> peer): ECDHE-ECDSA,
/// extended master secret required, a client certificate requested and checked against the
/// offer's fingerprint, and one <c>use_srtp</c> profile picked from the client's list.
/// </summary>
internal sealed class DtlsSrtpServer(DtlsCertificate certificate, DtlsFingerprint remoteFingerprint, IReadOnlyList<SrtpProtectionProfile> profiles, int handshakeTimeoutMillis)
    : DefaultTlsServer, IDtlsSrtpPeer
{
    private SrtpProtectionProfile? _selected;

    public SrtpKeyingMaterial? Keys { get; private set; }

    public DtlsPeerEvents Events { get; } = new();

    public DtlsRecordGuard? RecordGuard { get; private set; }

    public override int GetHandshakeTimeoutMillis() => handshakeTimeoutMillis;

    public override bool RequiresExtendedMasterSecret() => true;

    protected override ProtocolVersion MinimumVersion => ProtocolVersion.DTLSv12;

    protected override ProtocolVersion MaximumVersion => ProtocolVersion.DTLSv12;

    protected override int[] GetCipherSuites() => DtlsSrtpPolicy.CipherSuites;

    protected override TlsSignerCredentials GetECDsaSignerCredentials() =>
        new DefaultTlsSignerCredentials(mContext, certificate.Chain, certificate.PrivateKey, DtlsSrtpPolicy.EcdsaSha256);

    public override CertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], DtlsSrtpPolicy.SupportedSignatureAlgorithms(), null);

    public override void NotifyClientCertificate(Certificate clientCertificate) =>
        DtlsSrtpPolicy.VerifyPeer(clientCertificate, remoteFingerprint);

    public override void ProcessClientExtensions(IDictionary clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offered = TlsSRTPUtils.GetUseSrtpExtension(clientExtensions)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure);

        // RFC 5764 §4.1.1: the server picks one of the client's profiles; we use our own preference.
        foreach (var profile in profiles)
        {
            if (Array.IndexOf(offered.ProtectionProfiles, (int)profile) >= 0)
            {
                _selected = profile;
                return;
            }
        }

        throw new TlsFatalAlert(AlertDescription.handshake_failure);
    }

    public override IDictionary GetServerExtensions()
    {
        var extensions = base.GetServerExtensions() ?? new Hashtable();
        TlsSRTPUtils.AddUseSrtpExtension(extensions, new UseSrtpData([(int)_selected!.Value], []));
        return extensions;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        Keys = DtlsSrtpPolicy.Export(mContext, _selected!.Value, DtlsRole.Server);
        RecordGuard = DtlsRecordGuard.Create(mContext, DtlsRole.Server);
    }

    public override void NotifyAlertReceived(byte alertLevel, byte alertDescription) =>
        Events.AlertReceived(alertLevel, alertDescription);

    public override void NotifyAlertRaised(byte alertLevel, byte alertDescription, string message, Exception cause) =>
        Events.AlertRaised(alertLevel, alertDescription, message);
}
