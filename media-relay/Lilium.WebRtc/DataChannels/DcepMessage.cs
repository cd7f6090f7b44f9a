using System.Buffers.Binary;
using System.Text;

namespace Lilium.WebRtc.DataChannels;

/// <summary>
/// The Data Channel Establishment Protocol (RFC 8832 §5). DATA_CHANNEL_OPEN:
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// |  Message Type |  Channel Type |            Priority           |
/// |                    Reliability Parameter                      |
/// |         Label Length          |       Protocol Length         |
/// \                             Label                             /
/// \                            Protocol                           /
/// </code>
/// DATA_CHANNEL_ACK is the single byte 0x02. Both travel with PPID 50, ordered and reliable.
/// </summary>
public static class DcepMessage
{
    public const byte Ack = 0x02;
    public const byte Open = 0x03;
    private const int OpenHeaderSize = 12;

    // Channel types (RFC 8832 §5.1): the high bit means unordered.
    private const byte Reliable = 0x00;
    private const byte PartialReliableRexmit = 0x01;
    private const byte PartialReliableTimed = 0x02;
    private const byte UnorderedBit = 0x80;

    public static byte[] WriteOpen(DataChannelParameters p)
    {
        var label = Encoding.UTF8.GetBytes(p.Label);
        var protocol = Encoding.UTF8.GetBytes(p.Protocol);
        var buffer = new byte[OpenHeaderSize + label.Length + protocol.Length];
        var (type, reliability) = p switch
        {
            { MaxRetransmits: { } r } => (PartialReliableRexmit, (uint)r),
            { MaxPacketLifeTimeMs: { } t } => (PartialReliableTimed, (uint)t),
            _ => (Reliable, 0u),
        };
        buffer[0] = Open;
        buffer[1] = (byte)(type | (p.Ordered ? 0 : UnorderedBit));
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(2), p.Priority);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), reliability);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(8), checked((ushort)label.Length));
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(10), checked((ushort)protocol.Length));
        label.CopyTo(buffer, OpenHeaderSize);
        protocol.CopyTo(buffer, OpenHeaderSize + label.Length);
        return buffer;
    }

    /// <summary>Parses DATA_CHANNEL_OPEN; false on anything malformed (never throws).</summary>
    public static bool TryReadOpen(ReadOnlySpan<byte> message, out DataChannelParameters? parameters)
    {
        parameters = null;
        if (message.Length < OpenHeaderSize || message[0] != Open)
        {
            return false;
        }

        var type = message[1];
        var kind = (byte)(type & ~UnorderedBit);
        if (kind > PartialReliableTimed)
        {
            return false;
        }

        int labelLength = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int protocolLength = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        if (message.Length != OpenHeaderSize + labelLength + protocolLength)
        {
            return false;
        }

        var reliability = BinaryPrimitives.ReadUInt32BigEndian(message[4..]);
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        string label, protocol;
        try
        {
            label = utf8.GetString(message.Slice(OpenHeaderSize, labelLength));
            protocol = utf8.GetString(message.Slice(OpenHeaderSize + labelLength, protocolLength));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var bounded = (int)Math.Min(reliability, int.MaxValue);
        parameters = new DataChannelParameters
        {
            Label = label,
            Protocol = protocol,
            Ordered = (type & UnorderedBit) == 0,
            Priority = BinaryPrimitives.ReadUInt16BigEndian(message[2..]),
            MaxRetransmits = kind == PartialReliableRexmit ? bounded : null,
            MaxPacketLifeTimeMs = kind == PartialReliableTimed ? bounded : null,
        };
        return true;
    }
}
