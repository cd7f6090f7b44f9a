using System.Buffers.Binary;

namespace Lilium.WebRtc.Srtp;

/// <summary>What SRTP needs of the RTP and RTCP headers (RFC 3550 §5.1, §6.4): where the payload starts.</summary>
internal static class SrtpHeader
{
    /// <summary>The RTP header's length including CSRCs and the extension; false if it does not fit.</summary>
    public static bool TryGetRtpHeaderLength(ReadOnlySpan<byte> packet, out int length) =>
        Rtp.RtpHeader.TryGetHeaderLength(packet, out length);

    public static uint RtpSsrc(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);

    public static ushort RtpSequence(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);

    public static uint RtcpSenderSsrc(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
}
