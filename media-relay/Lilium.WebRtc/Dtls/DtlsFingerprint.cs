using System.Security.Cryptography;
using System.Text;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// A certificate fingerprint as carried by <c>a=fingerprint</c> (RFC 8122 §5):
/// <c>hash-func SP fingerprint</c>, where the fingerprint is upper-case hex pairs joined by colons.
/// Only <c>sha-256</c> is produced; sha-1/384/512 are accepted when verifying a peer.
/// </summary>
public sealed class DtlsFingerprint : IEquatable<DtlsFingerprint>
{
    private readonly byte[] _digest;

    private DtlsFingerprint(string algorithm, byte[] digest)
    {
        Algorithm = algorithm;
        _digest = digest;
    }

    /// <summary>The lower-case hash function name, e.g. <c>sha-256</c>.</summary>
    public string Algorithm { get; }

    public ReadOnlySpan<byte> Digest => _digest;

    /// <summary>The SHA-256 fingerprint of a DER-encoded certificate.</summary>
    public static DtlsFingerprint Sha256(ReadOnlySpan<byte> certificateDer) => new("sha-256", SHA256.HashData(certificateDer));

    /// <summary>The fingerprint of <paramref name="certificateDer"/> under <paramref name="algorithm"/>, or null if that hash is unsupported.</summary>
    public static DtlsFingerprint? Compute(string algorithm, ReadOnlySpan<byte> certificateDer) => algorithm switch
    {
        "sha-1" => new(algorithm, SHA1.HashData(certificateDer)),
        "sha-256" => new(algorithm, SHA256.HashData(certificateDer)),
        "sha-384" => new(algorithm, SHA384.HashData(certificateDer)),
        "sha-512" => new(algorithm, SHA512.HashData(certificateDer)),
        _ => null,
    };

    /// <summary>Parses <c>sha-256 AB:CD:…</c>. Never throws.</summary>
    public static bool TryParse(string? text, out DtlsFingerprint? fingerprint)
    {
        fingerprint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return false;
        }

        var algorithm = text[..space].Trim().ToLowerInvariant();
        var expected = algorithm switch
        {
            "sha-1" => 20,
            "sha-256" => 32,
            "sha-384" => 48,
            "sha-512" => 64,
            _ => -1,
        };
        if (expected < 0)
        {
            return false;
        }

        var hex = text[(space + 1)..].Trim();
        if (hex.Length != (expected * 3) - 1)
        {
            return false;
        }

        var digest = new byte[expected];
        for (var i = 0; i < expected; i++)
        {
            var at = i * 3;
            if (i > 0 && hex[at - 1] != ':')
            {
                return false;
            }

            if (!byte.TryParse(hex.AsSpan(at, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out digest[i]))
            {
                return false;
            }
        }

        fingerprint = new DtlsFingerprint(algorithm, digest);
        return true;
    }

    /// <summary>True when <paramref name="certificateDer"/> hashes to this fingerprint (constant time).</summary>
    public bool Matches(ReadOnlySpan<byte> certificateDer)
    {
        var actual = Compute(Algorithm, certificateDer);
        return actual is not null && CryptographicOperations.FixedTimeEquals(actual._digest, _digest);
    }

    /// <summary>The SDP form: <c>sha-256 AB:CD:…</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Algorithm.Length + 1 + (_digest.Length * 3));
        sb.Append(Algorithm).Append(' ');
        for (var i = 0; i < _digest.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(':');
            }

            sb.Append(_digest[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    public bool Equals(DtlsFingerprint? other) =>
        other is not null && other.Algorithm == Algorithm && other._digest.AsSpan().SequenceEqual(_digest);

    public override bool Equals(object? obj) => Equals(obj as DtlsFingerprint);

    public override int GetHashCode() => HashCode.Combine(Algorithm, _digest.Length > 0 ? _digest[0] : 0);
}
