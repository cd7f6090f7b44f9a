using Org.BouncyCastle.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The DTLS 1.2 client side of DTLS-SRTP (the <c>a=setup:active</c> peer), for the SDK:
/// offers our SRTP profiles and AES-GCM suites, requires extended master secret, checks the server
/// certificate against the answer's fingerprint and presents our certificate when asked.
/// </summary>
internal sealed class DtlsSrtpClient(DtlsCertificate certificate, DtlsFingerprint remoteFingerprint, IReadOnlyList<SrtpProtectionProfile> profiles, int handshakeTimeoutMillis)
    : DefaultTlsClient(DtlsSrtpPolicy.NewCrypto()), IDtlsSrtpPeer
{
    private readonly DtlsCertificate _certificate = certificate;
    private readonly DtlsFingerprint _remoteFingerprint = remoteFingerprint;
    private SrtpProtectionProfile? _selected;

    public SrtpKeyingMaterial? Keys { get; private set; }

    public DtlsRecordKeys? RecordKeys { get; private set; }

    public DtlsPeerEvents Events { get; } = new();

    public override int GetHandshakeTimeoutMillis() => handshakeTimeoutMillis;

    public override bool RequiresExtendedMasterSecret() => true;

    public override bool ShouldCheckSigAlgOfPeerCerts() => false;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => DtlsSrtpPolicy.CipherSuites;

    protected override IList<SignatureAndHashAlgorithm> GetSupportedSignatureAlgorithms() => DtlsSrtpPolicy.SupportedSignatureAlgorithms();

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = base.GetClientExtensions() ?? new Dictionary<int, byte[]>();
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(profiles.Select(p => (int)p).ToArray(), []));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var chosen = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure, "dtls: the server answered without use_srtp");
        if (chosen.ProtectionProfiles.Length != 1 || !profiles.Contains((SrtpProtectionProfile)chosen.ProtectionProfiles[0]))
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "dtls: the server chose an SRTP profile we did not offer");
        }

        _selected = (SrtpProtectionProfile)chosen.ProtectionProfiles[0];
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        Keys = DtlsSrtpPolicy.Export(m_context, _selected!.Value, DtlsRole.Client);
        RecordKeys = DtlsRecordKeys.Derive(m_context);
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) =>
        Events.AlertReceived(alertLevel, alertDescription);

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        Events.AlertRaised(alertLevel, alertDescription, message);

    private sealed class Authentication(DtlsSrtpClient owner) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            DtlsSrtpPolicy.VerifyPeer(serverCertificate.Certificate, owner._remoteFingerprint);

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            DtlsSrtpPolicy.Signer(owner.m_context, owner._certificate);
    }
}
