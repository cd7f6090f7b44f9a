using System.Buffers.Binary;

namespace Lilium.WebRtc.Dtls;

/// <summary>DTLS 1.2 record content types (RFC 5246 §6.2.1, RFC 6520).</summary>
public enum DtlsContentType : byte
{
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
    Heartbeat = 24,
}

/// <summary>
/// One DTLS 1.2 record as it arrives (RFC 6347 §4.1), a view into the datagram:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |  content type |       version (254.253)       |     epoch     :
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :     epoch     |          sequence number (48 bits)            :
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// :          sequence number              |            length     |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 fragment (length bytes) ...
/// </code>
/// With an AES-GCM suite the fragment of a protected record is
/// <c>explicit_nonce(8) | ciphertext | tag(16)</c> (RFC 5288 §3).
/// </summary>
public readonly ref struct DtlsRecord
{
    public const int HeaderLength = 13;

    /// <summary>DTLS 1.2 on the wire: {254, 253}.</summary>
    public const ushort Version12 = 0xFEFD;

    /// <summary>Largest fragment a record may carry: 2^14 plaintext plus 2048 of expansion (RFC 5246 §6.2.3).</summary>
    public const int MaxFragmentLength = (1 << 14) + 2048;

    public const ulong MaxSequenceNumber = (1UL << 48) - 1;

    private DtlsRecord(byte type, ushort version, ushort epoch, ulong sequenceNumber, ReadOnlySpan<byte> header, ReadOnlySpan<byte> fragment)
    {
        Type = type;
        Version = version;
        Epoch = epoch;
        SequenceNumber = sequenceNumber;
        Header = header;
        Fragment = fragment;
    }

    /// <summary>The content type byte as sent (compare with <see cref="DtlsContentType"/>).</summary>
    public byte Type { get; }

    public ushort Version { get; }

    public ushort Epoch { get; }

    /// <summary>The 48-bit sequence number within <see cref="Epoch"/>.</summary>
    public ulong SequenceNumber { get; }

    /// <summary>The 13 header bytes.</summary>
    public ReadOnlySpan<byte> Header { get; }

    public ReadOnlySpan<byte> Fragment { get; }

    /// <summary>Header plus fragment.</summary>
    public int Length => HeaderLength + Fragment.Length;

    /// <summary>
    /// Reads the record at the start of <paramref name="datagram"/>; false if the header is short, the length runs past
    /// the datagram or exceeds <see cref="MaxFragmentLength"/>. Never throws. Checks framing only, not type or version.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> datagram, out DtlsRecord record)
    {
        record = default;
        if (datagram.Length < HeaderLength)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(datagram[11..]);
        if (length > MaxFragmentLength || length > datagram.Length - HeaderLength)
        {
            return false;
        }

        var epochAndSequence = BinaryPrimitives.ReadUInt64BigEndian(datagram[3..]);
        record = new DtlsRecord(
            datagram[0],
            BinaryPrimitives.ReadUInt16BigEndian(datagram[1..]),
            (ushort)(epochAndSequence >> 48),
            epochAndSequence & MaxSequenceNumber,
            datagram[..HeaderLength],
            datagram.Slice(HeaderLength, length));
        return true;
    }

    /// <summary>Writes a DTLS 1.2 record header into <paramref name="destination"/> (at least <see cref="HeaderLength"/> bytes).</summary>
    public static void WriteHeader(Span<byte> destination, DtlsContentType type, ushort epoch, ulong sequenceNumber, int fragmentLength)
    {
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], Version12);
        BinaryPrimitives.WriteUInt64BigEndian(destination[3..], ((ulong)epoch << 48) | (sequenceNumber & MaxSequenceNumber));
        BinaryPrimitives.WriteUInt16BigEndian(destination[11..], checked((ushort)fragmentLength));
    }
}
