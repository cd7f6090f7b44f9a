using System.Buffers.Binary;

namespace Lilium.WebRtc.Rtcp;

/// <summary>RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611).</summary>
public enum RtcpPacketType : byte
{
    SenderReport = 200,
    ReceiverReport = 201,
    SourceDescription = 202,
    Goodbye = 203,
    ApplicationDefined = 204,
    TransportFeedback = 205,
    PayloadFeedback = 206,
    ExtendedReport = 207,
}

/// <summary>
/// The common RTCP header (RFC 3550 §6.4.1).
/// <code>
/// |V=2|P| RC/FMT  |      PT       |             length            |
/// </code>
/// Length is the packet's size in 32-bit words minus one, header included.
/// </summary>
public readonly record struct RtcpHeader(bool Padding, byte Count, RtcpPacketType Type, int Size)
{
    public const int HeaderSize = 4;

    /// <summary>For feedback messages (PT 205/206), <see cref="Count"/> is the feedback message type.</summary>
    public byte Format => Count;

    public static bool TryRead(ReadOnlySpan<byte> data, out RtcpHeader header)
    {
        header = default;
        if (data.Length < HeaderSize || data[0] >> 6 != 2)
        {
            return false;
        }

        var size = 4 * (BinaryPrimitives.ReadUInt16BigEndian(data[2..]) + 1);
        if (size > data.Length)
        {
            return false;
        }

        header = new RtcpHeader((data[0] & 0x20) != 0, (byte)(data[0] & 0x1F), (RtcpPacketType)data[1], size);
        return true;
    }

    public static void Write(Span<byte> destination, byte count, RtcpPacketType type, int size)
    {
        destination[0] = (byte)(0x80 | (count & 0x1F));
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)((size / 4) - 1));
    }
}

/// <summary>Iterates the packets of a compound RTCP datagram; stops at the first malformed one.</summary>
public ref struct RtcpCompoundReader(ReadOnlySpan<byte> compound)
{
    private ReadOnlySpan<byte> _rest = compound;

    public bool Malformed { get; private set; }

    public bool TryNext(out RtcpHeader header, out ReadOnlySpan<byte> packet)
    {
        packet = default;
        if (_rest.IsEmpty)
        {
            header = default;
            return false;
        }

        if (!RtcpHeader.TryRead(_rest, out header))
        {
            Malformed = true;
            _rest = default;
            return false;
        }

        packet = _rest[..header.Size];
        _rest = _rest[header.Size..];
        return true;
    }
}
