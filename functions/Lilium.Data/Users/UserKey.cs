using System.Security.Cryptography;

namespace Lilium.Data.Users;

/// <summary>
/// A user's ECDSA P-256 public key. <see cref="Spki"/> is the server's own re-export of the key as
/// SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7, RFC 5480), so two encodings of one key cannot
/// register two users; <see cref="Fingerprint"/> is the lower-case hex SHA-256 of it.
/// </summary>
public sealed class UserKey
{
    /// <summary>Longest base64 accepted; a P-256 SPKI is 91 bytes (124 base64 characters).</summary>
    private const int MaxBase64Length = 256;

    private const string P256Oid = "1.2.840.10045.3.1.7";

    private UserKey(byte[] spki)
    {
        Spki = spki;
        Fingerprint = FingerprintOf(spki);
    }

    public byte[] Spki { get; }

    public string Fingerprint { get; }

    public static string FingerprintOf(ReadOnlySpan<byte> spki) => Convert.ToHexStringLower(SHA256.HashData(spki));

    /// <summary>Parses base64 SPKI DER; false (never an exception) for anything but a valid P-256 point.</summary>
    public static bool TryParse(string? base64, out UserKey? key)
    {
        key = null;
        if (string.IsNullOrEmpty(base64) || base64.Length > MaxBase64Length)
        {
            return false;
        }

        var buffer = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, buffer, out var n))
        {
            return false;
        }

        return TryFromSpki(buffer.AsSpan(0, n), out key);
    }

    /// <summary>Parses SPKI DER; false (never an exception) for anything but a valid P-256 point.</summary>
    public static bool TryFromSpki(ReadOnlySpan<byte> spki, out UserKey? key)
    {
        key = null;
        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(spki, out var read);
            if (read != spki.Length || ecdsa.ExportParameters(false).Curve.Oid.Value != P256Oid)
            {
                return false;
            }

            key = new UserKey(ecdsa.ExportSubjectPublicKeyInfo());
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// Verifies an ECDSA P-256 / SHA-256 signature over <paramref name="data"/>. A 64-byte signature is
    /// read as IEEE P1363 (r‖s, what WebCrypto produces); anything else as DER (RFC 3279 §2.2.3, what
    /// OpenSSL produces).
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (signature.Length is 0 or > 80)
        {
            return false;
        }

        try
        {
            using var ecdsa = ECDsa.Create();
            ecdsa.ImportSubjectPublicKeyInfo(Spki, out _);
            var format = signature.Length == 64 ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence;
            return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256, format);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
