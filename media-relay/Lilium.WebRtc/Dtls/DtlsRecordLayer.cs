using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Lilium.WebRtc.Dtls;

/// <summary>What <see cref="DtlsRecordLayer.Receive"/> saw in one datagram.</summary>
[Flags]
public enum DtlsReceiveResult
{
    None = 0,

    /// <summary>At least one application-data record authenticated and went to the handler.</summary>
    ApplicationData = 1,

    /// <summary>
    /// The peer resent (part of) its last handshake flight: an epoch-0 handshake or change_cipher_spec record, or an
    /// authenticated epoch-1 handshake record (its Finished). The side that sent the last flight answers with it (RFC 6347 §4.2.4).
    /// </summary>
    HandshakeRetransmission = 2,

    /// <summary>The association ended in this datagram: close_notify, a fatal alert, or the bad-record budget ran out (<see cref="DtlsRecordLayer.CloseReason"/>).</summary>
    Closed = 4,
}

/// <summary>
/// Our DTLS 1.2 record layer for an established association with an AES-GCM suite (RFC 6347 §4.1, RFC 5288):
/// everything after the handshake goes through it, not BouncyCastle. Sans-I/O and synchronous: no thread,
/// no queue, no polling; one call per datagram on the thread that received it.
/// <list type="bullet">
/// <item>Each record is framed with <see cref="DtlsRecord.TryParse"/>; only DTLS 1.2 records of epoch 1 are opened,
/// after the replay window (RFC 6347 §4.1.2.6) says the sequence number is new; the window moves only for records
/// that authenticate.</item>
/// <item>A record that fails (bad framing, version or epoch, a tag that does not verify, a content type that has no
/// business after the handshake) is dropped, as RFC 6347 §4.1.2.7 asks, and counted; more than the bad-record budget
/// (<see cref="DefaultBadRecordBudget"/>) ends the association. Replays and the peer's retransmitted handshake records
/// are dropped without counting (the network duplicates; they cost no decryption).</item>
/// <item>Alerts: close_notify or any fatal alert ends the association; warnings are ignored.</item>
/// <item>Outgoing records (<see cref="TryProtect"/>) use the next sequence number after the ones the handshake used.</item>
/// </list>
/// Receive and protect may run concurrently (each side has its own lock and cipher). Never throws on hostile bytes.
/// </summary>
public sealed class DtlsRecordLayer : IDisposable
{
    /// <summary>Records that may fail before the association is closed.</summary>
    public const int DefaultBadRecordBudget = 64;

    /// <summary>The epoch the first (and, for DTLS-SRTP, only) handshake establishes.</summary>
    public const ushort Epoch = 1;

    public const int ExplicitNonceLength = 8;
    public const int TagLength = 16;

    /// <summary>Bytes a protected record adds to its plaintext: header, explicit nonce, tag.</summary>
    public const int Overhead = DtlsRecord.HeaderLength + ExplicitNonceLength + TagLength;

    private const int AlertLevelFatal = 2;
    private const int AlertCloseNotify = 0;
    private const int InlinePlaintext = 1500;

    private readonly Lock _receiveLock = new();
    private readonly Lock _sendLock = new();
    private readonly AesGcm _open;
    private readonly AesGcm _seal;
    private readonly byte[] _openSalt;
    private readonly byte[] _sealSalt;
    private readonly byte[] _plain = new byte[InlinePlaintext];
    private readonly int _badRecordBudget;
    private DtlsReplayWindow _window;
    private ulong _nextSequence;
    private long _accepted;
    private long _failed;
    private long _replayed;
    private long _handshake;
    private volatile string? _closeReason;
    private bool _disposed;

    /// <param name="keys">The association's keys (<see cref="DtlsRecordKeys"/>).</param>
    /// <param name="localRole">Our role: we write with our role's key and read with the peer's.</param>
    /// <param name="firstWriteSequence">The first epoch-1 sequence number we may use (one past the handshake's Finished and its retransmissions).</param>
    /// <param name="badRecordBudget">Failed records tolerated; one more closes the association.</param>
    public DtlsRecordLayer(DtlsRecordKeys keys, DtlsRole localRole, ulong firstWriteSequence = 0, int badRecordBudget = DefaultBadRecordBudget)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfNegative(badRecordBudget);
        var client = localRole == DtlsRole.Client;
        _seal = new AesGcm((client ? keys.ClientWriteKey : keys.ServerWriteKey).Span, TagLength);
        _open = new AesGcm((client ? keys.ServerWriteKey : keys.ClientWriteKey).Span, TagLength);
        _sealSalt = (client ? keys.ClientWriteSalt : keys.ServerWriteSalt).ToArray();
        _openSalt = (client ? keys.ServerWriteSalt : keys.ClientWriteSalt).ToArray();
        _nextSequence = firstWriteSequence;
        _badRecordBudget = badRecordBudget;
    }

    /// <summary>Records that authenticated (application data, alerts, the peer's Finished).</summary>
    public long AcceptedRecords => Interlocked.Read(ref _accepted);

    /// <summary>Records that failed (framing, version, epoch, authentication, content type); these spend the budget.</summary>
    public long FailedRecords => Interlocked.Read(ref _failed);

    /// <summary>Records dropped as replays (already received, or left of the window).</summary>
    public long ReplayedRecords => Interlocked.Read(ref _replayed);

    /// <summary>Retransmitted handshake records of the peer seen after the handshake.</summary>
    public long HandshakeRecords => Interlocked.Read(ref _handshake);

    /// <summary>Why the association ended, once it has; null while it is open.</summary>
    public string? CloseReason => _closeReason;

    public bool IsClosed => _closeReason is not null;

    /// <summary>
    /// Processes every record of a datagram from the peer. Authenticated application data goes to
    /// <paramref name="applicationData"/> (called on this thread, with a span valid for the call only).
    /// Does nothing once closed. Never throws on hostile bytes.
    /// </summary>
    public DtlsReceiveResult Receive(ReadOnlySpan<byte> datagram, DatagramSender? applicationData)
    {
        var result = DtlsReceiveResult.None;
        lock (_receiveLock)
        {
            while (!datagram.IsEmpty && _closeReason is null && !_disposed)
            {
                if (!DtlsRecord.TryParse(datagram, out var record))
                {
                    Fail(); // the rest of the datagram cannot be framed
                    break;
                }

                datagram = datagram[record.Length..];
                result |= ReceiveRecord(record, applicationData);
            }
        }

        return _closeReason is null ? result : result | DtlsReceiveResult.Closed;
    }

    private DtlsReceiveResult ReceiveRecord(DtlsRecord record, DatagramSender? applicationData)
    {
        if (record.Version != DtlsRecord.Version12)
        {
            Fail();
            return DtlsReceiveResult.None;
        }

        if (record.Epoch == 0)
        {
            // The peer's last flight again (its Finished did not get our answer): cheap to drop, not a failure.
            if (record.Type is (byte)DtlsContentType.Handshake or (byte)DtlsContentType.ChangeCipherSpec)
            {
                Interlocked.Increment(ref _handshake);
                return DtlsReceiveResult.HandshakeRetransmission;
            }

            Fail();
            return DtlsReceiveResult.None;
        }

        if (record.Epoch != Epoch
            || record.Type is not ((byte)DtlsContentType.ApplicationData or (byte)DtlsContentType.Alert or (byte)DtlsContentType.Handshake))
        {
            Fail(); // DTLS-SRTP never renegotiates; no heartbeat was negotiated
            return DtlsReceiveResult.None;
        }

        if (!_window.IsFresh(record.SequenceNumber))
        {
            Interlocked.Increment(ref _replayed);
            return DtlsReceiveResult.None;
        }

        var plainLength = record.Fragment.Length - ExplicitNonceLength - TagLength;
        if (plainLength < 0)
        {
            Fail();
            return DtlsReceiveResult.None;
        }

        byte[]? rented = null;
        var plain = plainLength <= _plain.Length ? _plain.AsSpan(0, plainLength) : (rented = ArrayPool<byte>.Shared.Rent(plainLength)).AsSpan(0, plainLength);
        try
        {
            if (!TryOpen(record, plain))
            {
                Fail();
                return DtlsReceiveResult.None;
            }

            _window.Mark(record.SequenceNumber);
            Interlocked.Increment(ref _accepted);
            return Deliver((DtlsContentType)record.Type, plain, applicationData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private DtlsReceiveResult Deliver(DtlsContentType type, ReadOnlySpan<byte> plain, DatagramSender? applicationData)
    {
        switch (type)
        {
            case DtlsContentType.ApplicationData:
                if (!plain.IsEmpty)
                {
                    applicationData?.Invoke(plain);
                }

                return DtlsReceiveResult.ApplicationData;
            case DtlsContentType.Alert:
                if (plain.Length != 2)
                {
                    // RFC 5246 §7.2: an alert the peer authenticated but that does not parse is a decode_error.
                    _closeReason = "peer sent a malformed alert";
                }
                else if (plain[1] == AlertCloseNotify)
                {
                    _closeReason = "peer sent close_notify";
                }
                else if (plain[0] == AlertLevelFatal)
                {
                    _closeReason = "peer sent fatal alert " + plain[1];
                }

                return DtlsReceiveResult.None;
            default:
                Interlocked.Increment(ref _handshake); // its Finished, resent under the new keys
                return DtlsReceiveResult.HandshakeRetransmission;
        }
    }

    private bool TryOpen(DtlsRecord record, Span<byte> plain)
    {
        var fragment = record.Fragment;
        Span<byte> nonce = stackalloc byte[12];
        _openSalt.CopyTo(nonce);
        fragment[..ExplicitNonceLength].CopyTo(nonce[DtlsRecordKeys.SaltLength..]);
        Span<byte> aad = stackalloc byte[13];
        WriteAdditionalData(aad, record.Header, plain.Length);
        try
        {
            _open.Decrypt(nonce, fragment.Slice(ExplicitNonceLength, plain.Length), fragment[^TagLength..], plain, aad);
            return true;
        }
        catch (CryptographicException)
        {
            return false; // AuthenticationTagMismatchException, or disposed concurrently
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    // RFC 5246 §6.2.3.3 with RFC 6347 §4.1.2.1: seq_num (epoch | sequence number) + type + version + plaintext length.
    private static void WriteAdditionalData(Span<byte> aad, ReadOnlySpan<byte> header, int plainLength)
    {
        header[3..11].CopyTo(aad);
        aad[8] = header[0];
        aad[9] = header[1];
        aad[10] = header[2];
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], (ushort)plainLength);
    }

    private void Fail()
    {
        if (Interlocked.Increment(ref _failed) > _badRecordBudget)
        {
            _closeReason ??= $"dtls: more than {_badRecordBudget} records failed";
        }
    }

    /// <summary>
    /// Protects <paramref name="plaintext"/> as one epoch-1 record of <paramref name="type"/> into <paramref name="destination"/>
    /// (<see cref="Overhead"/> bytes more than the plaintext). False if the destination is short, the plaintext exceeds 2^14,
    /// the sequence numbers are spent or the layer is disposed.
    /// </summary>
    public bool TryProtect(DtlsContentType type, ReadOnlySpan<byte> plaintext, Span<byte> destination, out int written)
    {
        written = 0;
        if (plaintext.Length > 1 << 14 || destination.Length < plaintext.Length + Overhead)
        {
            return false;
        }

        lock (_sendLock)
        {
            if (_disposed || _nextSequence > DtlsRecord.MaxSequenceNumber)
            {
                return false;
            }

            var sequence = _nextSequence++;
            var fragmentLength = ExplicitNonceLength + plaintext.Length + TagLength;
            DtlsRecord.WriteHeader(destination, type, Epoch, sequence, fragmentLength);
            var header = destination[..DtlsRecord.HeaderLength];
            var fragment = destination.Slice(DtlsRecord.HeaderLength, fragmentLength);

            // The explicit nonce is the record's epoch and sequence number, unique per key (RFC 5288 §3).
            header[3..11].CopyTo(fragment);
            Span<byte> nonce = stackalloc byte[12];
            _sealSalt.CopyTo(nonce);
            fragment[..ExplicitNonceLength].CopyTo(nonce[DtlsRecordKeys.SaltLength..]);
            Span<byte> aad = stackalloc byte[13];
            WriteAdditionalData(aad, header, plaintext.Length);
            _seal.Encrypt(nonce, plaintext, fragment.Slice(ExplicitNonceLength, plaintext.Length), fragment[^TagLength..], aad);
            written = DtlsRecord.HeaderLength + fragmentLength;
            return true;
        }
    }

    /// <summary>Ends the association from our side (after sending close_notify, if the caller does).</summary>
    public void Close(string reason) => _closeReason ??= reason;

    public void Dispose()
    {
        lock (_receiveLock)
        {
            lock (_sendLock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                _closeReason ??= "disposed";
                _open.Dispose();
                _seal.Dispose();
            }
        }
    }
}
