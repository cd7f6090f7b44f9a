using System.Buffers.Binary;

namespace Lilium.WebRtc.Ice;

/// <summary>What <see cref="StreamFraming.TryRead"/> found at the start of the buffered stream bytes.</summary>
public enum FrameStatus : byte
{
    /// <summary>A whole frame is buffered.</summary>
    Complete,
    /// <summary>More bytes are needed (the header or the rest of the frame).</summary>
    Incomplete,
    /// <summary>The header announces more than the reader accepts: the stream cannot be trusted any further.</summary>
    TooLarge,
}

/// <summary>
/// RFC 4571 framing of ICE-TCP (RFC 6544 §3): every STUN message, DTLS record datagram, SRTP or SRTCP packet on the
/// stream is preceded by its length as a 16-bit big-endian number. Reading never throws on any bytes.
/// </summary>
public static class StreamFraming
{
    /// <summary>Bytes of the length header.</summary>
    public const int HeaderSize = 2;

    /// <summary>The largest payload the 16-bit length can announce.</summary>
    public const int MaxPayload = ushort.MaxValue;

    /// <summary>
    /// Looks at the stream bytes buffered so far. <see cref="FrameStatus.Complete"/>: the first frame's payload is
    /// <c>buffered.Slice(HeaderSize, payloadLength)</c>. A length above <paramref name="maxPayload"/> is
    /// <see cref="FrameStatus.TooLarge"/> as soon as the header is in, before any payload is buffered.
    /// </summary>
    public static FrameStatus TryRead(ReadOnlySpan<byte> buffered, int maxPayload, out int payloadLength)
    {
        payloadLength = 0;
        if (buffered.Length < HeaderSize)
        {
            return FrameStatus.Incomplete;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(buffered);
        if (length > maxPayload)
        {
            return FrameStatus.TooLarge;
        }

        if (buffered.Length - HeaderSize < length)
        {
            return FrameStatus.Incomplete;
        }

        payloadLength = length;
        return FrameStatus.Complete;
    }

    /// <summary>Writes the header and the payload; false (nothing written) when it does not fit or is too long to frame.</summary>
    public static bool TryWrite(ReadOnlySpan<byte> payload, Span<byte> destination, out int written)
    {
        written = 0;
        if (payload.Length > MaxPayload || destination.Length < HeaderSize + payload.Length)
        {
            return false;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)payload.Length);
        payload.CopyTo(destination[HeaderSize..]);
        written = HeaderSize + payload.Length;
        return true;
    }
}
