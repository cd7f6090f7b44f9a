using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities;
using Org.BouncyCastle.X509;
using TlsCertificate = Org.BouncyCastle.Crypto.Tls.Certificate;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// A self-signed ECDSA P-256 certificate for DTLS-SRTP. WebRTC peers authenticate it by the
/// fingerprint carried in SDP, not by a chain, so a fresh one per process is the norm
/// (RFC 8827 §6.5). Immutable and safe to share across connections.
/// </summary>
public sealed class DtlsCertificate
{
    private DtlsCertificate(TlsCertificate chain, AsymmetricKeyParameter privateKey, byte[] der)
    {
        Chain = chain;
        PrivateKey = privateKey;
        Der = der;
        Fingerprint = DtlsFingerprint.Sha256(der);
    }

    /// <summary>The SHA-256 fingerprint to put in <c>a=fingerprint</c>.</summary>
    public DtlsFingerprint Fingerprint { get; }

    /// <summary>The DER encoding of the certificate.</summary>
    public ReadOnlyMemory<byte> Der { get; }

    internal TlsCertificate Chain { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

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

        var der = certificate.GetEncoded();
        var chain = new TlsCertificate([X509CertificateStructure.GetInstance(der)]);
        return new DtlsCertificate(chain, pair.Private, der);
    }
}
