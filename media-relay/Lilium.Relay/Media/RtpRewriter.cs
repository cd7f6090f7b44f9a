using System.Buffers.Binary;
using Lilium.WebRtc.Rtp;

namespace Lilium.Relay.Media;

/// <summary>
/// Writes a publisher's RTP packet as one subscriber sees it: that subscriber's SSRC, sequence
/// number, timestamp and payload type; CSRCs kept; the publisher's header extensions dropped and,
/// when the subscriber negotiated <c>sdes:mid</c>, a one-byte MID element written instead
/// (RFC 8285 §4.2; BUNDLE demux, RFC 9143 §9.2).
/// </summary>
internal static class RtpRewriter
{
    public static int Rewrite(ReadOnlySpan<byte> source, in RtpHeader header, Span<byte> target, byte payloadType, ushort sequence, uint timestamp, uint ssrc, int midId, ReadOnlySpan<byte> mid)
    {
        var at = RtpHeader.WriteFixed(target, header.Marker, payloadType, sequence, timestamp, ssrc);
        var csrcBytes = 4 * header.CsrcCount;
        source.Slice(RtpHeader.FixedSize, csrcBytes).CopyTo(target[at..]);
        target[0] = (byte)((target[0] & 0xF0) | header.CsrcCount);
        at += csrcBytes;
        if (midId is >= 1 and <= 14 && mid.Length is >= 1 and <= 16)
        {
            // 0xBEDE | length in words | ID(4) L(4) | MID bytes | zero padding to a word
            var words = (1 + mid.Length + 3) / 4;
            target[0] |= 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(target[at..], 0xBEDE);
            BinaryPrimitives.WriteUInt16BigEndian(target[(at + 2)..], (ushort)words);
            target.Slice(at + 4, words * 4).Clear();
            target[at + 4] = (byte)((midId << 4) | (mid.Length - 1));
            mid.CopyTo(target[(at + 5)..]);
            at += 4 + (words * 4);
        }

        var payload = source.Slice(header.HeaderLength, header.PayloadLength); // padding dropped with the P bit
        payload.CopyTo(target[at..]);
        return at + payload.Length;
    }
}
