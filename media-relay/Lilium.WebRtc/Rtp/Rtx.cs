using System.Buffers.Binary;

namespace Lilium.WebRtc.Rtp;

/// <summary>
/// RTP retransmission payload format (RFC 4588 §4), session-multiplexed: a retransmission travels on its own SSRC
/// and payload type with its own sequence numbers, and its payload is the original sequence number (OSN) followed by
/// the original payload.
/// <code>
/// | RTP header (RTX SSRC, RTX PT, RTX seq; original timestamp, marker, CSRCs and header extension) |
/// |            OSN (2 bytes)            |  original RTP payload ...  |
/// </code>
/// The original's padding is not carried (RFC 4588 §4: the RTX packet pads itself if it wants to). Pure span
/// functions: nothing is allocated.
/// </summary>
public static class Rtx
{
    public const int OsnSize = 2;
    private const byte PaddingBit = 0x20;

    /// <summary>
    /// Writes the retransmission of <paramref name="original"/> into <paramref name="destination"/>. False (and
    /// nothing usable written) when the original does not parse or the destination is too small (it needs the
    /// original's length plus 2).
    /// </summary>
    public static bool TryWrap(ReadOnlySpan<byte> original, Span<byte> destination, uint rtxSsrc, byte rtxPayloadType, ushort rtxSequence, out int written)
    {
        written = 0;
        if (!RtpHeader.TryParse(original, out var h) || destination.Length < h.HeaderLength + OsnSize + h.PayloadLength)
        {
            return false;
        }

        original[..h.HeaderLength].CopyTo(destination);
        destination[0] &= unchecked((byte)~PaddingBit);
        RtpHeader.WritePayloadType(destination, rtxPayloadType);
        RtpHeader.WriteSequenceNumber(destination, rtxSequence);
        RtpHeader.WriteSsrc(destination, rtxSsrc);
        BinaryPrimitives.WriteUInt16BigEndian(destination[h.HeaderLength..], h.SequenceNumber);
        original.Slice(h.HeaderLength, h.PayloadLength).CopyTo(destination[(h.HeaderLength + OsnSize)..]);
        written = h.HeaderLength + OsnSize + h.PayloadLength;
        return true;
    }

    /// <summary>
    /// <see cref="TryWrap"/> in place: turns the RTP packet in the first <paramref name="length"/> bytes of
    /// <paramref name="buffer"/> into its retransmission (the payload moves right by the OSN's two bytes). For a sender
    /// that has just written the packet as the receiver would see it on the media SSRC. False (the buffer unchanged)
    /// when the packet does not parse or the buffer has no room for two more bytes.
    /// </summary>
    public static bool TryWrapInPlace(Span<byte> buffer, int length, uint rtxSsrc, byte rtxPayloadType, ushort rtxSequence, out int written)
    {
        written = 0;
        if ((uint)length > (uint)buffer.Length || !RtpHeader.TryParse(buffer[..length], out var h)
            || buffer.Length < h.HeaderLength + OsnSize + h.PayloadLength)
        {
            return false;
        }

        buffer.Slice(h.HeaderLength, h.PayloadLength).CopyTo(buffer[(h.HeaderLength + OsnSize)..]); // overlapping: memmove
        BinaryPrimitives.WriteUInt16BigEndian(buffer[h.HeaderLength..], h.SequenceNumber);
        buffer[0] &= unchecked((byte)~PaddingBit);
        RtpHeader.WritePayloadType(buffer, rtxPayloadType);
        RtpHeader.WriteSequenceNumber(buffer, rtxSequence);
        RtpHeader.WriteSsrc(buffer, rtxSsrc);
        written = h.HeaderLength + OsnSize + h.PayloadLength;
        return true;
    }

    /// <summary>
    /// Repairs a retransmission into the original packet: SSRC and payload type restored (the caller knows them from
    /// the SDP's <c>a=ssrc-group:FID</c> or RID pairing and <c>apt=</c>), sequence number from the OSN, the OSN
    /// removed. False when the packet does not parse or carries no OSN (a padding-only RTX packet, as senders use
    /// for probing: nothing to repair). <paramref name="destination"/> may be the same memory as
    /// <paramref name="rtx"/> (in-place repair).
    /// </summary>
    public static bool TryUnwrap(ReadOnlySpan<byte> rtx, Span<byte> destination, uint originalSsrc, byte originalPayloadType, out int written)
    {
        written = 0;
        if (!RtpHeader.TryParse(rtx, out var h) || h.PayloadLength < OsnSize
            || destination.Length < h.HeaderLength + h.PayloadLength - OsnSize)
        {
            return false;
        }

        var osn = BinaryPrimitives.ReadUInt16BigEndian(rtx[h.HeaderLength..]);
        var payloadLength = h.PayloadLength - OsnSize;

        // Payload first (it moves left by two bytes; CopyTo handles the overlap), then the header.
        rtx.Slice(h.HeaderLength + OsnSize, payloadLength).CopyTo(destination[h.HeaderLength..]);
        rtx[..h.HeaderLength].CopyTo(destination);
        destination[0] &= unchecked((byte)~PaddingBit);
        RtpHeader.WritePayloadType(destination, originalPayloadType);
        RtpHeader.WriteSequenceNumber(destination, osn);
        RtpHeader.WriteSsrc(destination, originalSsrc);
        written = h.HeaderLength + payloadLength;
        return true;
    }

    /// <summary>The original sequence number of a retransmission, without repairing it.</summary>
    public static bool TryGetOriginalSequence(ReadOnlySpan<byte> rtx, out ushort osn)
    {
        osn = 0;
        if (!RtpHeader.TryParse(rtx, out var h) || h.PayloadLength < OsnSize)
        {
            return false;
        }

        osn = BinaryPrimitives.ReadUInt16BigEndian(rtx[h.HeaderLength..]);
        return true;
    }
}

/// <summary>
/// One outgoing RTX stream (RFC 4588 §8.1): the SSRC and payload type negotiated for retransmissions of one media
/// stream, and its own sequence counter (random start, as RFC 3550 asks). Retransmissions and padding-only packets
/// (for bandwidth probes) both take numbers from it. Not thread-safe: one sender uses it.
/// </summary>
public sealed class RtxStream(uint ssrc, byte payloadType, ushort firstSequence)
{
    public uint Ssrc { get; } = ssrc;

    public byte PayloadType { get; } = payloadType;

    /// <summary>The sequence number the next packet gets.</summary>
    public ushort NextSequence { get; private set; } = firstSequence;

    public long PacketsSent { get; private set; }

    /// <summary>Wraps <paramref name="original"/> (see <see cref="Rtx.TryWrap"/>) with this stream's next number.</summary>
    public bool TryWrap(ReadOnlySpan<byte> original, Span<byte> destination, out int written)
    {
        if (!Rtx.TryWrap(original, destination, Ssrc, PayloadType, NextSequence, out written))
        {
            return false;
        }

        NextSequence++;
        PacketsSent++;
        return true;
    }

    /// <summary>Wraps the packet in <paramref name="buffer"/> in place (see <see cref="Rtx.TryWrapInPlace"/>) with this stream's next number.</summary>
    public bool TryWrapInPlace(Span<byte> buffer, int length, out int written)
    {
        if (!Rtx.TryWrapInPlace(buffer, length, Ssrc, PayloadType, NextSequence, out written))
        {
            return false;
        }

        NextSequence++;
        PacketsSent++;
        return true;
    }

    /// <summary>
    /// Writes a padding-only RTX packet of about <paramref name="size"/> bytes (header, then padding whose last byte
    /// counts it; at most 255 bytes of padding), as libwebrtc sends for bandwidth probes when it has nothing to
    /// resend. With <paramref name="transportCcId"/> (1–14) the header carries a one-byte transport-wide sequence
    /// element set to <paramref name="transportSequence"/>, so that feedback covers the probe. Returns the size.
    /// </summary>
    public int WritePadding(Span<byte> destination, int size, uint timestamp, byte transportCcId = 0, ushort transportSequence = 0)
    {
        var header = RtpHeader.WriteFixed(destination, false, PayloadType, NextSequence, timestamp, Ssrc);
        if (transportCcId is >= 1 and <= 14)
        {
            // 0xBEDE, one word: | id, len=1 | seq (2) | 0 (pad) |
            destination[0] |= 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(destination[header..], RtpExtensions.OneByteProfile);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(header + 2)..], 1);
            destination[header + 4] = (byte)((transportCcId << 4) | 1);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(header + 5)..], transportSequence);
            destination[header + 7] = 0;
            header += 8;
        }

        size = Math.Clamp(size, header + 1, header + 255);
        destination[0] |= 0x20;
        destination[header..size].Clear();
        destination[size - 1] = (byte)(size - header);
        NextSequence++;
        PacketsSent++;
        return size;
    }
}
