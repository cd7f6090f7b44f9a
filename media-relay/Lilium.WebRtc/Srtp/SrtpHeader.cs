using System.Buffers.Binary;

namespace Lilium.WebRtc.Srtp;

/// <summary>What SRTP needs of the RTP and RTCP headers (RFC 3550 §5.1, §6.4): where the payload starts.</summary>
internal static class SrtpHeader
{
    /// <summary>The RTP header's length including CSRCs and the extension; false if it does not fit.</summary>
    public static bool TryGetRtpHeaderLength(ReadOnlySpan<byte> packet, out int length)
    {
        length = 0;
        if (packet.Length < 12 || packet[0] >> 6 != 2)
        {
            return false;
        }

        var n = 12 + (4 * (packet[0] & 0x0F));
        if ((packet[0] & 0x10) != 0)
        {
            if (packet.Length < n + 4)
            {
                return false;
            }

            n += 4 + (4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(n + 2)..]));
        }

        if (n > packet.Length)
        {
            return false;
        }

        length = n;
        return true;
    }

    public static uint RtpSsrc(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);

    public static ushort RtpSequence(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);

    public static uint RtcpSenderSsrc(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
}
