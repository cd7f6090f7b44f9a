using Org.BouncyCastle.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The DTLS 1.2 server side of DTLS-SRTP (the <c>a=setup:passive</c> peer): ECDHE-ECDSA with AES-GCM,
/// extended master secret required, a client certificate requested and checked against the
/// offer's fingerprint, and one <c>use_srtp</c> profile picked from the client's list.
/// </summary>
internal sealed class DtlsSrtpServer(DtlsCertificate certificate, DtlsFingerprint remoteFingerprint, IReadOnlyList<SrtpProtectionProfile> profiles, int handshakeTimeoutMillis)
    : DefaultTlsServer(DtlsSrtpPolicy.NewCrypto()), IDtlsSrtpPeer
{
    private SrtpProtectionProfile? _selected;

    public SrtpKeyingMaterial? Keys { get; private set; }

    public DtlsRecordKeys? RecordKeys { get; private set; }

    public DtlsPeerEvents Events { get; } = new();

    public override int GetHandshakeTimeoutMillis() => handshakeTimeoutMillis;

    public override bool RequiresExtendedMasterSecret() => true;

    // The peer is authenticated by its certificate's fingerprint (RFC 8122), not by who signed the certificate.
    public override bool ShouldCheckSigAlgOfPeerCerts() => false;

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => DtlsSrtpPolicy.CipherSuites;

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() => DtlsSrtpPolicy.Signer(m_context, certificate);

    public override CertificateRequest GetCertificateRequest() =>
        new([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], DtlsSrtpPolicy.SupportedSignatureAlgorithms(), null);

    public override void NotifyClientCertificate(Certificate clientCertificate) =>
        DtlsSrtpPolicy.VerifyPeer(clientCertificate, remoteFingerprint);

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offered = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions)
            ?? throw new TlsFatalAlert(AlertDescription.handshake_failure, "dtls: the client offered no use_srtp");

        // RFC 5764 §4.1.1: the server picks one of the client's profiles; we use our own preference.
        foreach (var profile in profiles)
        {
            if (Array.IndexOf(offered.ProtectionProfiles, (int)profile) >= 0)
            {
                _selected = profile;
                return;
            }
        }

        throw new TlsFatalAlert(AlertDescription.handshake_failure, "dtls: no common SRTP profile");
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var extensions = base.GetServerExtensions();
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([(int)_selected!.Value], []));
        return extensions;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        Keys = DtlsSrtpPolicy.Export(m_context, _selected!.Value, DtlsRole.Server);
        RecordKeys = DtlsRecordKeys.Derive(m_context);
    }

    public override void NotifyAlertReceived(short alertLevel, short alertDescription) =>
        Events.AlertReceived(alertLevel, alertDescription);

    public override void NotifyAlertRaised(short alertLevel, short alertDescription, string message, Exception cause) =>
        Events.AlertRaised(alertLevel, alertDescription, message);
}
