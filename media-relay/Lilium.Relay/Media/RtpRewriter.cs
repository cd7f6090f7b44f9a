using System.Buffers.Binary;
using Lilium.WebRtc.Rtp;

namespace Lilium.Relay.Media;

/// <summary>
/// Writes a publisher's RTP packet as one subscriber sees it: that subscriber's SSRC, sequence
/// number, timestamp and payload type; CSRCs kept; the publisher's header extensions dropped and
/// the subscriber's own written instead, in one one-byte block (RFC 8285 §4.2): a MID element when it
/// negotiated <c>sdes:mid</c> (BUNDLE demux, RFC 9143 §9.2) and a transport-wide sequence number element when
/// it negotiated transport-wide CC (its value is the caller's to fill in: <see cref="TransportCc.Stamp"/>).
/// Writing the block afresh means a publisher packet never lacks room for the subscriber's elements.
/// </summary>
internal static class RtpRewriter
{
    public static int Rewrite(ReadOnlySpan<byte> source, in RtpHeader header, Span<byte> target, byte payloadType, ushort sequence, uint timestamp, uint ssrc, int midId, ReadOnlySpan<byte> mid) =>
        Rewrite(source, header, target, payloadType, sequence, timestamp, ssrc, midId, mid, 0, out _);

    /// <param name="transportCcId">The subscriber's transport-wide sequence number extension id (1–14), or 0 for none.</param>
    /// <param name="transportSequenceAt">Where the 2-byte transport-wide sequence number goes in <paramref name="target"/>, or −1.</param>
    public static int Rewrite(ReadOnlySpan<byte> source, in RtpHeader header, Span<byte> target, byte payloadType, ushort sequence, uint timestamp, uint ssrc,
        int midId, ReadOnlySpan<byte> mid, int transportCcId, out int transportSequenceAt)
    {
        transportSequenceAt = -1;
        var at = RtpHeader.WriteFixed(target, header.Marker, payloadType, sequence, timestamp, ssrc);
        var csrcBytes = 4 * header.CsrcCount;
        source.Slice(RtpHeader.FixedSize, csrcBytes).CopyTo(target[at..]);
        target[0] = (byte)((target[0] & 0xF0) | header.CsrcCount);
        at += csrcBytes;
        var withMid = midId is >= 1 and <= 14 && mid.Length is >= 1 and <= 16;
        var withTransportCc = transportCcId is >= 1 and <= 14;
        if (withMid || withTransportCc)
        {
            // 0xBEDE | length in words | ID(4) L(4) | data | … | zero padding to a word
            var elements = (withMid ? 1 + mid.Length : 0) + (withTransportCc ? 1 + RtpExtensions.TransportSequenceSize : 0);
            var words = (elements + 3) / 4;
            target[0] |= 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(target[at..], RtpExtensions.OneByteProfile);
            BinaryPrimitives.WriteUInt16BigEndian(target[(at + 2)..], (ushort)words);
            target.Slice(at + 4, words * 4).Clear();
            var e = at + 4;
            if (withMid)
            {
                target[e] = (byte)((midId << 4) | (mid.Length - 1));
                mid.CopyTo(target[(e + 1)..]);
                e += 1 + mid.Length;
            }

            if (withTransportCc)
            {
                target[e] = (byte)((transportCcId << 4) | (RtpExtensions.TransportSequenceSize - 1));
                transportSequenceAt = e + 1;
            }

            at += 4 + (words * 4);
        }

        var payload = source.Slice(header.HeaderLength, header.PayloadLength); // padding dropped with the P bit
        payload.CopyTo(target[at..]);
        return at + payload.Length;
    }
}
