namespace Lilium.Client.Media;

/// <summary>
/// VP8 RTP payloads (RFC 7741 §4.2) with the one-byte descriptor: S=1 and PID=0 on a frame's
/// first packet. A frame is split into payloads of at most <see cref="MaxPayload"/> bytes.
/// </summary>
internal static class Vp8Packetizer
{
    /// <summary>Keeps RTP + SRTP + UDP/IP under the 1200-byte path MTU WebRTC stacks assume.</summary>
    public const int MaxPayload = 1100;

    public static int PacketCount(int frameLength) => Math.Max(1, (frameLength + MaxPayload - 2) / (MaxPayload - 1));

    /// <summary>Writes the <paramref name="index"/>-th payload of the frame; returns its length.</summary>
    public static int WritePayload(ReadOnlySpan<byte> frame, int index, Span<byte> destination)
    {
        var chunk = MaxPayload - 1;
        var start = index * chunk;
        var length = Math.Min(chunk, frame.Length - start);
        destination[0] = index == 0 ? (byte)0x10 : (byte)0x00;
        frame.Slice(start, length).CopyTo(destination[1..]);
        return length + 1;
    }

    /// <summary>The VP8 data after the payload descriptor, and whether it starts a partition-0 frame (S=1, PID=0).</summary>
    public static bool TryReadDescriptor(ReadOnlySpan<byte> payload, out int headerLength, out bool start)
    {
        headerLength = 0;
        start = false;
        if (payload.IsEmpty)
        {
            return false;
        }

        var at = 1;
        if ((payload[0] & 0x80) != 0)
        {
            if (payload.Length <= at)
            {
                return false;
            }

            var ext = payload[at++];
            if ((ext & 0x80) != 0)
            {
                if (payload.Length <= at)
                {
                    return false;
                }

                at += (payload[at] & 0x80) != 0 ? 2 : 1;
            }

            if ((ext & 0x40) != 0)
            {
                at++;
            }

            if ((ext & 0x30) != 0)
            {
                at++;
            }
        }

        if (at > payload.Length)
        {
            return false;
        }

        headerLength = at;
        start = (payload[0] & 0x10) != 0 && (payload[0] & 0x07) == 0;
        return true;
    }

    /// <summary>RFC 6386 §9.1: bit 0 of the frame tag is 0 for a key frame.</summary>
    public static bool IsKeyframe(ReadOnlySpan<byte> frame) => frame.Length >= 3 && (frame[0] & 0x01) == 0;
}
