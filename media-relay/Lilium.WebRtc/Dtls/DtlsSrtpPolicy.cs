using System.Collections;
using Org.BouncyCastle.Crypto.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// What both roles share: the cipher suites, the SRTP profile preference, certificate
/// verification against the SDP fingerprint, and the RFC 5764 §4.2 key export.
/// </summary>
internal static class DtlsSrtpPolicy
{
    public const string ExporterLabel = "EXTRACTOR-dtls_srtp";

    /// <summary>
    /// ECDHE with our ECDSA certificate, AES-GCM only (what browsers and OpenSSL prefer): post-handshake
    /// records are authenticated by <see cref="DtlsRecordGuard"/> before BouncyCastle, which handles GCM only.
    /// </summary>
    public static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ];

    public static readonly SignatureAndHashAlgorithm EcdsaSha256 = new(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    /// <summary>The profiles we implement, in our preference order.</summary>
    public static readonly SrtpProtectionProfile[] DefaultProfiles =
    [
        SrtpProtectionProfile.AeadAes128Gcm,
        SrtpProtectionProfile.Aes128CmHmacSha1_80,
    ];

    /// <summary>Signature algorithms we accept from a peer's CertificateVerify / ServerKeyExchange.</summary>
    public static IList SupportedSignatureAlgorithms() => new ArrayList
    {
        EcdsaSha256,
        new SignatureAndHashAlgorithm(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha1, SignatureAlgorithm.ecdsa),
        new SignatureAndHashAlgorithm(HashAlgorithm.sha1, SignatureAlgorithm.rsa),
    };

    /// <summary>Refuses a peer certificate whose end-entity certificate does not hash to the SDP fingerprint (RFC 5763 §5).</summary>
    public static void VerifyPeer(Certificate? certificate, DtlsFingerprint expected)
    {
        if (certificate is null || certificate.IsEmpty)
        {
            throw new TlsFatalAlert(AlertDescription.handshake_failure);
        }

        var der = certificate.GetCertificateAt(0).GetEncoded();
        if (!expected.Matches(der))
        {
            throw new TlsFatalAlert(AlertDescription.bad_certificate);
        }
    }

    public static SrtpKeyingMaterial Export(TlsContext context, SrtpProtectionProfile profile, DtlsRole role)
    {
        var material = context.ExportKeyingMaterial(ExporterLabel, null, profile.KeyingMaterialLength());
        return SrtpKeyingMaterial.FromExporter(profile, material, role);
    }
}
