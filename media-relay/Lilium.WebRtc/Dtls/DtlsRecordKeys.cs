using System.Security.Cryptography;
using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// The record-protection keys of an AES-GCM DTLS 1.2 association: each side's write key and 4-byte implicit
/// nonce (salt). Taken from the handshake's key block (RFC 5246 §6.3; AEAD suites have no MAC keys):
/// <code>
/// key_block = PRF(master_secret, "key expansion", server_random + client_random)
///           = client_write_key | server_write_key | client_write_IV(4) | server_write_IV(4)
/// </code>
/// </summary>
public sealed class DtlsRecordKeys
{
    /// <summary>The fixed (implicit) part of the GCM nonce (RFC 5288 §3).</summary>
    public const int SaltLength = 4;

    private DtlsRecordKeys(int cipherSuite, byte[] clientKey, byte[] serverKey, byte[] clientSalt, byte[] serverSalt)
    {
        CipherSuite = cipherSuite;
        ClientWriteKey = clientKey;
        ServerWriteKey = serverKey;
        ClientWriteSalt = clientSalt;
        ServerWriteSalt = serverSalt;
    }

    /// <summary>The IANA cipher suite number the keys belong to.</summary>
    public int CipherSuite { get; }

    public ReadOnlyMemory<byte> ClientWriteKey { get; }

    public ReadOnlyMemory<byte> ServerWriteKey { get; }

    public ReadOnlyMemory<byte> ClientWriteSalt { get; }

    public ReadOnlyMemory<byte> ServerWriteSalt { get; }

    /// <summary>AES key bytes for a suite we implement, or 0.</summary>
    public static int KeyLength(int cipherSuite) => cipherSuite switch
    {
        Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => 16,
        Org.BouncyCastle.Tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => 32,
        _ => 0,
    };

    /// <summary>Splits a key block (<c>2·key + 2·4</c> bytes) for <paramref name="cipherSuite"/>.</summary>
    public static DtlsRecordKeys FromKeyBlock(int cipherSuite, ReadOnlySpan<byte> keyBlock)
    {
        var keyLength = KeyLength(cipherSuite);
        if (keyLength == 0)
        {
            throw new ArgumentException($"dtls: cipher suite 0x{cipherSuite:X4} is not one we implement", nameof(cipherSuite));
        }

        if (keyBlock.Length != (2 * keyLength) + (2 * SaltLength))
        {
            throw new ArgumentException($"dtls: the key block for 0x{cipherSuite:X4} is {(2 * keyLength) + (2 * SaltLength)} bytes, got {keyBlock.Length}", nameof(keyBlock));
        }

        return new DtlsRecordKeys(
            cipherSuite,
            keyBlock[..keyLength].ToArray(),
            keyBlock.Slice(keyLength, keyLength).ToArray(),
            keyBlock.Slice(2 * keyLength, SaltLength).ToArray(),
            keyBlock.Slice((2 * keyLength) + SaltLength, SaltLength).ToArray());
    }

    /// <summary>
    /// Derives the keys from a handshake that just completed (call from NotifyHandshakeComplete, while BouncyCastle
    /// still holds the master secret; it clears it when the handshake returns). BouncyCastle does not hand out the
    /// keys of its record cipher, so this is the same PRF expansion it ran for it.
    /// </summary>
    internal static DtlsRecordKeys Derive(TlsContext context)
    {
        var suite = context.SecurityParameters.CipherSuite;
        var keyLength = KeyLength(suite);
        if (keyLength == 0 || context.SecurityParameters.MasterSecret is null)
        {
            throw new TlsFatalAlert(AlertDescription.internal_error, "dtls: negotiated a suite our record layer does not implement");
        }

        Span<byte> block = stackalloc byte[(2 * keyLength) + (2 * SaltLength)];
        try
        {
            TlsImplUtilities.CalculateKeyBlock(new TlsCryptoParameters(context), block);
            return FromKeyBlock(suite, block);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(block);
        }
    }
}
