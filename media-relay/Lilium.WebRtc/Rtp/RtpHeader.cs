using System.Buffers.Binary;

namespace Lilium.WebRtc.Rtp;

/// <summary>
/// The fixed RTP header and where the rest of the packet lies (RFC 3550 §5.1, §5.3.1).
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers ...         |
/// |      defined by profile       |           length (words)      |   if X
/// |                        header extension ...                   |
/// |                        payload ...    | padding ... | count   |   if P
/// </code>
/// </summary>
public readonly record struct RtpHeader
{
    public const int FixedSize = 12;
    private const byte VersionBits = 0xC0;
    private const byte PaddingBit = 0x20;
    private const byte ExtensionBit = 0x10;
    private const byte CsrcMask = 0x0F;
    private const byte MarkerBit = 0x80;
    private const byte PayloadTypeMask = 0x7F;

    public bool Padding { get; init; }
    public bool Marker { get; init; }
    public byte PayloadType { get; init; }
    public ushort SequenceNumber { get; init; }
    public uint Timestamp { get; init; }
    public uint Ssrc { get; init; }
    public int CsrcCount { get; init; }

    /// <summary>The extension's profile (0xBEDE one-byte, 0x100X two-byte), or 0 without one.</summary>
    public ushort ExtensionProfile { get; init; }
    public int ExtensionOffset { get; init; }
    public int ExtensionLength { get; init; }

    /// <summary>Bytes before the payload: fixed header, CSRCs and extension.</summary>
    public int HeaderLength { get; init; }

    /// <summary>Payload bytes, not counting padding.</summary>
    public int PayloadLength { get; init; }

    public bool HasExtension => ExtensionProfile != 0 || ExtensionLength > 0;

    /// <summary>
    /// The length of the header (fixed part, CSRCs, extension) alone, without looking at padding,
    /// which SRTP keeps under encryption; false if it does not fit in <paramref name="packet"/>.
    /// </summary>
    public static bool TryGetHeaderLength(ReadOnlySpan<byte> packet, out int length) =>
        TryGetLayout(packet, out length, out _, out _, out _);

    /// <summary>Parses the header of <paramref name="packet"/>; false on anything malformed, never an exception.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtpHeader header)
    {
        header = default;
        if (!TryGetLayout(packet, out var at, out var profile, out var extOffset, out var extLength))
        {
            return false;
        }

        var cc = packet[0] & CsrcMask;
        var padding = 0;
        if ((packet[0] & PaddingBit) != 0)
        {
            padding = packet[^1];
            if (padding == 0 || at + padding > packet.Length)
            {
                return false;
            }
        }

        header = new RtpHeader
        {
            Padding = padding > 0,
            Marker = (packet[1] & MarkerBit) != 0,
            PayloadType = (byte)(packet[1] & PayloadTypeMask),
            SequenceNumber = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
            Timestamp = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]),
            Ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]),
            CsrcCount = cc,
            ExtensionProfile = profile,
            ExtensionOffset = extOffset,
            ExtensionLength = extLength,
            HeaderLength = at,
            PayloadLength = packet.Length - at - padding,
        };
        return true;
    }

    private static bool TryGetLayout(ReadOnlySpan<byte> packet, out int headerLength, out ushort profile, out int extOffset, out int extLength)
    {
        headerLength = extOffset = extLength = 0;
        profile = 0;
        if (packet.Length < FixedSize || (packet[0] & VersionBits) != 0x80)
        {
            return false;
        }

        var at = FixedSize + (4 * (packet[0] & CsrcMask));
        if ((packet[0] & ExtensionBit) != 0)
        {
            if (packet.Length < at + 4)
            {
                return false;
            }

            profile = BinaryPrimitives.ReadUInt16BigEndian(packet[at..]);
            extLength = 4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(at + 2)..]);
            extOffset = at + 4;
            at = extOffset + extLength;
        }

        headerLength = at;
        return at <= packet.Length;
    }

    // In-place rewriting, as an SFU does per subscriber.
    public static void WriteSequenceNumber(Span<byte> packet, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(packet[2..], value);

    public static void WriteTimestamp(Span<byte> packet, uint value) => BinaryPrimitives.WriteUInt32BigEndian(packet[4..], value);

    public static void WriteSsrc(Span<byte> packet, uint value) => BinaryPrimitives.WriteUInt32BigEndian(packet[8..], value);

    public static void WritePayloadType(Span<byte> packet, byte value) => packet[1] = (byte)((packet[1] & MarkerBit) | (value & PayloadTypeMask));

    /// <summary>Writes a fixed header (no CSRCs, no extension flag); returns <see cref="FixedSize"/>.</summary>
    public static int WriteFixed(Span<byte> destination, bool marker, byte payloadType, ushort sequence, uint timestamp, uint ssrc)
    {
        destination[0] = 0x80;
        destination[1] = (byte)((marker ? MarkerBit : 0) | (payloadType & PayloadTypeMask));
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], ssrc);
        return FixedSize;
    }
}
