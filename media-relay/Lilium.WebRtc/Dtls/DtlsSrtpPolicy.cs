using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// What both roles share: the cipher suites, the SRTP profile preference, certificate
/// verification against the SDP fingerprint, our signing credentials and the RFC 5764 §4.2 key export.
/// </summary>
internal static class DtlsSrtpPolicy
{
    public const string ExporterLabel = "EXTRACTOR-dtls_srtp";

    /// <summary>
    /// ECDHE with our ECDSA certificate, AES-GCM with SHA-256 or better only (what browsers and OpenSSL
    /// prefer). A peer offering nothing else (CBC, SHA-1, static RSA) is refused with handshake_failure.
    /// <see cref="DtlsRecordLayer"/>, which processes every record after the handshake, implements exactly these.
    /// </summary>
    public static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ];

    public static readonly SignatureAndHashAlgorithm EcdsaSha256 = SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa);

    /// <summary>The profiles we implement, in our preference order.</summary>
    public static readonly SrtpProtectionProfile[] DefaultProfiles =
    [
        SrtpProtectionProfile.AeadAes128Gcm,
        SrtpProtectionProfile.Aes128CmHmacSha1_80,
    ];

    /// <summary>Signature algorithms we accept from a peer's CertificateVerify / ServerKeyExchange: SHA-256 or better.</summary>
    public static IList<SignatureAndHashAlgorithm> SupportedSignatureAlgorithms() =>
    [
        EcdsaSha256,
        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha384, SignatureAlgorithm.ecdsa),
        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha512, SignatureAlgorithm.ecdsa),
        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha256, SignatureAlgorithm.rsa),
        SignatureAndHashAlgorithm.GetInstance(HashAlgorithm.sha384, SignatureAlgorithm.rsa),
        SignatureAndHashAlgorithm.rsa_pss_rsae_sha256,
    ];

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

    /// <summary>Our certificate and key, signing with ECDSA/SHA-256, for the handshake of <paramref name="context"/>.</summary>
    public static TlsCredentialedSigner Signer(TlsContext context, DtlsCertificate certificate) =>
        new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(context),
            (BcTlsCrypto)context.Crypto,
            certificate.PrivateKey,
            certificate.ChainFor(context.Crypto),
            EcdsaSha256);

    public static SrtpKeyingMaterial Export(TlsContext context, SrtpProtectionProfile profile, DtlsRole role)
    {
        var material = context.ExportKeyingMaterial(ExporterLabel, null, profile.KeyingMaterialLength());
        return SrtpKeyingMaterial.FromExporter(profile, material, role);
    }

    /// <summary>A fresh crypto provider per handshake (its own <see cref="Org.BouncyCastle.Security.SecureRandom"/>).</summary>
    public static BcTlsCrypto NewCrypto() => new(new Org.BouncyCastle.Security.SecureRandom());
}
