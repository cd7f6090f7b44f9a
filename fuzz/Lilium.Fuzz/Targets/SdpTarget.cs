using System.Net;
using System.Text;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// SDP as a WHIP/WHEP body or a trickle fragment reaches the relay: UTF-8 text, the parser, and for
/// an offer that parses, both answer builders (ingest and egress), which walk every m-section.
/// </summary>
internal sealed class SdpTarget : IFuzzTarget
{
    private readonly SdpLocalTransport _local = new(
        "lite", "0123456789abcdefghijkl", DtlsCertificate.Generate().Fingerprint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882));

    private readonly SdpEgressTrack[] _tracks =
    [
        new("video", new SdpRtpMap(97, "VP8", 90000, 1), 1111, "relay", "stream", "video0"),
        new("audio", new SdpRtpMap(96, "opus", 48000, 2), 2222, "relay", "stream", "audio0"),
    ];

    public void Run(ReadOnlySpan<byte> input)
    {
        var text = Encoding.UTF8.GetString(input);
        if (SdpParser.TryParse(text, out var offer, out _) && offer is not null)
        {
            SdpAnswerBuilder.TryAnswerIngest(offer, _local, out _, out _);
            SdpAnswerBuilder.TryAnswerEgress(offer, _local, _tracks, out _, out _);
        }

        SdpParser.TryParseFragment(text, out _, out _);
    }
}
