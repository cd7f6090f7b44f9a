using System.Buffers.Binary;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// Checks post-handshake DTLS 1.2 records before BouncyCastle sees them. BouncyCastle 1.8.10 answers a
/// record that fails authentication with a fatal alert and closes the association; RFC 6347 §4.1.2.7 says
/// such records are silently discarded. So each epoch-1 record is opened here with the peer's AES-GCM write
/// key (RFC 5288: 8-byte explicit nonce, 16-byte tag) and only records that authenticate are passed on;
/// epoch-0 handshake records (a retransmitted final flight) pass as before, everything else is dropped.
/// </summary>
internal sealed class DtlsRecordGuard : IDisposable
{
    private const int HeaderLength = 13;
    private const int ExplicitNonceLength = 8;
    private const int TagLength = 16;
    private const byte HandshakeType = 22;

    private readonly AesGcm _aead;
    private readonly byte[] _salt;
    private readonly byte[] _plain = new byte[QueuedDatagramTransport.MaxDatagram];

    private DtlsRecordGuard(byte[] key, byte[] salt)
    {
        _aead = new AesGcm(key, TagLength);
        _salt = salt;
    }

    /// <summary>
    /// The guard for the negotiated suite, or null if it is not an AES-GCM suite (we offer only those; see
    /// <see cref="DtlsSrtpPolicy.CipherSuites"/>). Call from NotifyHandshakeComplete, while the master secret is live.
    /// </summary>
    public static DtlsRecordGuard? Create(TlsContext context, DtlsRole role)
    {
        var parameters = context.SecurityParameters;
        var keyLength = parameters.CipherSuite switch
        {
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => 16,
            CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => 32,
            _ => 0,
        };
        if (keyLength == 0 || parameters.MasterSecret is null)
        {
            return null;
        }

        // RFC 5246 §6.3: key_block = PRF(master_secret, "key expansion", server_random + client_random);
        // AEAD suites have no MAC keys: client key, server key, client IV (4), server IV (4).
        byte[] seed = [.. parameters.ServerRandom, .. parameters.ClientRandom];
        var block = TlsUtilities.PRF(context, parameters.MasterSecret, ExporterKeyExpansion, seed, (2 * keyLength) + 8);
        // We read what the peer wrote: as server, the client's key and IV.
        var peerIsClient = role == DtlsRole.Server;
        var key = block.AsSpan(peerIsClient ? 0 : keyLength, keyLength).ToArray();
        var salt = block.AsSpan((2 * keyLength) + (peerIsClient ? 0 : 4), 4).ToArray();
        CryptographicOperations.ZeroMemory(block);
        return new DtlsRecordGuard(key, salt);
    }

    private const string ExporterKeyExpansion = "key expansion";

    /// <summary>
    /// Copies the records of <paramref name="datagram"/> that may go to BouncyCastle into <paramref name="accepted"/>;
    /// returns how many bytes were copied and, in <paramref name="dropped"/>, how many records were refused.
    /// Never throws on hostile bytes.
    /// </summary>
    public int Filter(ReadOnlySpan<byte> datagram, Span<byte> accepted, out int dropped)
    {
        dropped = 0;
        var written = 0;
        while (!datagram.IsEmpty)
        {
            if (datagram.Length < HeaderLength)
            {
                dropped++;
                break;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
            if (HeaderLength + length > datagram.Length)
            {
                dropped++;
                break;
            }

            var record = datagram[..(HeaderLength + length)];
            datagram = datagram[record.Length..];
            if (IsAcceptable(record))
            {
                record.CopyTo(accepted[written..]);
                written += record.Length;
            }
            else
            {
                dropped++;
            }
        }

        return written;
    }

    private bool IsAcceptable(ReadOnlySpan<byte> record)
    {
        var type = record[0];
        if (record[1] != 0xFE || record[2] != 0xFD)
        {
            return false; // DTLS 1.2 only
        }

        var epoch = BinaryPrimitives.ReadUInt16BigEndian(record[3..]);
        if (epoch == 0)
        {
            return type == HandshakeType;
        }

        if (epoch != 1)
        {
            return false; // DTLS-SRTP never renegotiates
        }

        var fragment = record[HeaderLength..];
        var plainLength = fragment.Length - ExplicitNonceLength - TagLength;
        if (plainLength < 0)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[12];
        _salt.CopyTo(nonce);
        fragment[..ExplicitNonceLength].CopyTo(nonce[4..]);
        Span<byte> aad = stackalloc byte[13];
        record[3..11].CopyTo(aad); // epoch + sequence number
        aad[8] = type;
        aad[9] = record[1];
        aad[10] = record[2];
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], (ushort)plainLength);
        try
        {
            _aead.Decrypt(
                nonce,
                fragment.Slice(ExplicitNonceLength, plainLength),
                fragment[^TagLength..],
                _plain.AsSpan(0, plainLength),
                aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(_plain.AsSpan(0, plainLength));
        }
    }

    public void Dispose() => _aead.Dispose();
}
