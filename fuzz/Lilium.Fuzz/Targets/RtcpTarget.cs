using Lilium.WebRtc.Rtcp;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// A compound RTCP packet (RFC 3550 §6.1): the compound reader, then every parser on every packet
/// it yields, whatever the type says, so each parser also meets packets meant for another.
/// </summary>
internal sealed class RtcpTarget : IFuzzTarget
{
    public void Run(ReadOnlySpan<byte> input)
    {
        var reader = new RtcpCompoundReader(input);
        var count = 0;
        while (count++ < 256 && reader.TryNext(out _, out var packet))
        {
            SenderReport.TryParse(packet, out _);
            ReceiverReport.TryParse(packet, out _);
            SourceDescription.TryParse(packet, out _);
            Goodbye.TryParse(packet, out _);
            RtcpFeedback.TryRead(packet, out _, out _);
            GenericNack.TryParse(packet, out _, out _);
            FullIntraRequest.TryParse(packet, out _);
            ReceiverEstimatedMaxBitrate.TryParse(packet, out _);
            TransportCcHeader.TryParse(packet, out _);
        }

        // Parsers also see a packet alone, as the relay's feedback path hands them one.
        SenderReport.TryParse(input, out _);
        GenericNack.TryParse(input, out _, out _);
    }
}
