using System.Buffers.Binary;
using Lilium.WebRtc.Rtp;

namespace Lilium.Relay.Media;

/// <summary>
/// Writes a publisher's RTP packet as one subscriber sees it: that subscriber's SSRC, sequence
/// number, timestamp and payload type; CSRCs kept; the publisher's header extensions dropped and
/// the subscriber's negotiated ones written instead, in one one-byte block (RFC 8285 §4.2): the MID
/// (<c>sdes:mid</c>; BUNDLE demux, RFC 9143 §9.2), the relay's playout delay on video, the
/// publisher's <c>abs-capture-time</c> passed through, and a transport-wide sequence number when the
/// subscriber negotiated transport-wide CC (its value is the caller's to fill in: <see cref="TransportCc.Stamp"/>).
/// Writing the block afresh means a publisher packet never lacks room for the subscriber's elements.
/// An element whose id is outside 1–14 or whose value is not 1–16 bytes is left out. The one exception is the AV1
/// dependency descriptor, passed through unchanged: a descriptor that carries its template structure is longer than
/// 16 bytes, so when one is written the whole block takes the two-byte form (RFC 8285 §4.3; the descriptor is only
/// negotiated with <c>extmap-allow-mixed</c>).
/// </summary>
internal static class RtpRewriter
{
    public static int Rewrite(ReadOnlySpan<byte> source, in RtpHeader header, Span<byte> target, byte payloadType, ushort sequence, uint timestamp, uint ssrc, int midId, ReadOnlySpan<byte> mid) =>
        Rewrite(source, header, target, payloadType, sequence, timestamp, ssrc, midId, mid, 0, default, 0, default, 0, out _);

    /// <param name="transportCcId">The subscriber's transport-wide sequence number extension id (1–14), or 0 for none.</param>
    /// <param name="transportSequenceAt">Where the 2-byte transport-wide sequence number goes in <paramref name="target"/>, or −1.</param>
    public static int Rewrite(ReadOnlySpan<byte> source, in RtpHeader header, Span<byte> target, byte payloadType, ushort sequence, uint timestamp, uint ssrc,
        int midId, ReadOnlySpan<byte> mid, int transportCcId, out int transportSequenceAt) =>
        Rewrite(source, header, target, payloadType, sequence, timestamp, ssrc, midId, mid, 0, default, 0, default, transportCcId, out transportSequenceAt);

    public static int Rewrite(
        ReadOnlySpan<byte> source, in RtpHeader header, Span<byte> target, byte payloadType, ushort sequence, uint timestamp, uint ssrc,
        int midId, ReadOnlySpan<byte> mid, int playoutDelayId, ReadOnlySpan<byte> playoutDelay, int captureTimeId, ReadOnlySpan<byte> captureTime) =>
        Rewrite(source, header, target, payloadType, sequence, timestamp, ssrc, midId, mid, playoutDelayId, playoutDelay, captureTimeId, captureTime, 0, out _);

    public static int Rewrite(
        ReadOnlySpan<byte> source, in RtpHeader header, Span<byte> target, byte payloadType, ushort sequence, uint timestamp, uint ssrc,
        int midId, ReadOnlySpan<byte> mid, int playoutDelayId, ReadOnlySpan<byte> playoutDelay, int captureTimeId, ReadOnlySpan<byte> captureTime,
        int transportCcId, out int transportSequenceAt, int dependencyDescriptorId = 0, ReadOnlySpan<byte> dependencyDescriptor = default)
    {
        transportSequenceAt = -1;
        var twoByte = dependencyDescriptorId is >= 1 and <= 255 && dependencyDescriptor.Length is >= 1 and <= 255
            && (dependencyDescriptor.Length > 16 || dependencyDescriptorId > 14);
        var at = RtpHeader.WriteFixed(target, header.Marker, payloadType, sequence, timestamp, ssrc);
        var csrcBytes = 4 * header.CsrcCount;
        source.Slice(RtpHeader.FixedSize, csrcBytes).CopyTo(target[at..]);
        target[0] = (byte)((target[0] & 0xF0) | header.CsrcCount);
        at += csrcBytes;

        // 0xBEDE | length in words | ID(4) L(4) value … | zero padding to a word
        // (two-byte form: 0x1000 | length in words | ID(8) L(8) value … | zero padding)
        var block = at;
        var end = Element(target, block + 4, midId, mid, twoByte);
        end = Element(target, end, playoutDelayId, playoutDelay, twoByte);
        end = Element(target, end, captureTimeId, captureTime, twoByte);
        end = Element(target, end, dependencyDescriptorId, dependencyDescriptor, twoByte);
        if (transportCcId is >= 1 and <= 14)
        {
            if (twoByte)
            {
                target[end++] = (byte)transportCcId;
                target[end] = RtpExtensions.TransportSequenceSize;
            }
            else
            {
                target[end] = (byte)((transportCcId << 4) | (RtpExtensions.TransportSequenceSize - 1));
            }

            transportSequenceAt = end + 1;
            target.Slice(transportSequenceAt, RtpExtensions.TransportSequenceSize).Clear();
            end = transportSequenceAt + RtpExtensions.TransportSequenceSize;
        }

        if (end > block + 4)
        {
            var padded = block + 4 + (((end - block - 4) + 3) & ~3);
            target[end..padded].Clear();
            target[0] |= 0x10;
            BinaryPrimitives.WriteUInt16BigEndian(target[block..], twoByte ? RtpExtensions.TwoByteProfile : RtpExtensions.OneByteProfile);
            BinaryPrimitives.WriteUInt16BigEndian(target[(block + 2)..], (ushort)((padded - block - 4) / 4));
            at = padded;
        }

        var payload = source.Slice(header.HeaderLength, header.PayloadLength); // padding dropped with the P bit
        payload.CopyTo(target[at..]);
        return at + payload.Length;
    }

    private static int Element(Span<byte> target, int at, int id, ReadOnlySpan<byte> value, bool twoByte)
    {
        if (twoByte)
        {
            if (id is < 1 or > 255 || value.Length is < 1 or > 255)
            {
                return at;
            }

            target[at] = (byte)id;
            target[at + 1] = (byte)value.Length;
            value.CopyTo(target[(at + 2)..]);
            return at + 2 + value.Length;
        }

        if (id is < 1 or > 14 || value.Length is < 1 or > 16)
        {
            return at;
        }

        target[at] = (byte)((id << 4) | (value.Length - 1));
        value.CopyTo(target[(at + 1)..]);
        return at + 1 + value.Length;
    }
}
