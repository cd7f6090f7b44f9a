using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Utilities;
using Org.BouncyCastle.X509;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// A self-signed ECDSA P-256 certificate for DTLS-SRTP. WebRTC peers authenticate it by the
/// fingerprint carried in SDP, not by a chain, so a fresh one per process is the norm
/// (RFC 8827 §6.5). Immutable and safe to share across connections.
/// </summary>
public sealed class DtlsCertificate
{
    private readonly byte[] _der;

    private DtlsCertificate(AsymmetricKeyParameter privateKey, byte[] der)
    {
        PrivateKey = privateKey;
        _der = der;
        Fingerprint = DtlsFingerprint.Sha256(der);
    }

    /// <summary>The SHA-256 fingerprint to put in <c>a=fingerprint</c>.</summary>
    public DtlsFingerprint Fingerprint { get; }

    /// <summary>The DER encoding of the certificate.</summary>
    public ReadOnlyMemory<byte> Der => _der;

    internal AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>The one-certificate chain for a handshake, bound to that handshake's crypto provider.</summary>
    internal Certificate ChainFor(TlsCrypto crypto) => new([crypto.CreateCertificate(_der)]);

    /// <summary>Generates a key pair and a certificate valid from a day ago for <paramref name="lifetime"/> (30 days by default).</summary>
    public static DtlsCertificate Generate(string commonName = "lilium", TimeSpan? lifetime = null)
    {
        var random = new SecureRandom();
        var keys = new ECKeyPairGenerator("EC");
        keys.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        var pair = keys.GenerateKeyPair();

        var now = DateTime.UtcNow;
        var generator = new X509V3CertificateGenerator();
        var name = new X509Name("CN=" + commonName);
        generator.SetSerialNumber(BigIntegers.CreateRandomInRange(BigInteger.One, BigInteger.ValueOf(long.MaxValue), random));
        generator.SetIssuerDN(name);
        generator.SetSubjectDN(name);
        generator.SetNotBefore(now.AddDays(-1));
        generator.SetNotAfter(now + (lifetime ?? TimeSpan.FromDays(30)));
        generator.SetPublicKey(pair.Public);
        var certificate = generator.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", pair.Private, random));
        return new DtlsCertificate(pair.Private, certificate.GetEncoded());
    }
}
