using Lilium.WebRtc;
using Lilium.WebRtc.Rtp;

namespace Lilium.Fuzz.Targets;

/// <summary>RTP (RFC 3550 §5.1) header parse and header extensions (RFC 8285, one- and two-byte forms).</summary>
internal sealed class RtpTarget : IFuzzTarget
{
    public void Run(ReadOnlySpan<byte> input)
    {
        PacketDemux.Classify(input);
        RtpHeader.TryGetHeaderLength(input, out _);
        if (!RtpHeader.TryParse(input, out var header))
        {
            return;
        }

        for (byte id = 0; id <= 15; id++)
        {
            RtpExtensions.TryGet(input, header, id, out _);
        }

        _ = input.Slice(header.HeaderLength, header.PayloadLength);
    }
}
