using System.Net;
using Lilium.Testing.WebRtc;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

/// <summary>Transport-wide CC in WHIP and WHEP answers: the extension and <c>rtcp-fb transport-cc</c> only when offered.</summary>
[Trait("Category", "Unit")]
public sealed class SdpTransportCcTests
{
    private static readonly DtlsCertificate Certificate = DtlsCertificate.Generate();

    private static SdpLocalTransport Local => new("lite", "0123456789abcdefghijkl", Certificate.Fingerprint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882));

    private static readonly SdpEgressTrack[] Tracks =
    [
        new("video", new SdpRtpMap(97, "VP8", 90000, 1), 1111, "relay", "s", "v"),
        new("audio", new SdpRtpMap(96, "opus", 48000, 2), 2222, "relay", "s", "a"),
    ];

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Answers_carry_the_extension_and_feedback_only_when_offered(bool ingest, bool offered)
    {
        var offerText = ingest ? TestOffers.Publisher() : TestOffers.Viewer();
        if (offered)
        {
            offerText = TestOffers.WithTransportCc(offerText);
        }

        Assert.True(SdpParser.TryParse(offerText, out var offer, out var parseError), parseError);
        SdpAnswer? answer;
        string? error;
        Assert.True(ingest
            ? SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out answer, out error)
            : SdpAnswerBuilder.TryAnswerEgress(offer!, Local, Tracks, out answer, out error), error);
        Assert.True(SdpParser.TryParse(answer!.Text, out var parsed, out var reparseError), reparseError);

        var video = parsed!.Media.Single(m => m.Kind == "video");
        var audio = parsed.Media.Single(m => m.Kind == "audio");
        if (offered)
        {
            Assert.Equal(3, video.FindExtMap(SdpExtMap.TransportWideCc)!.Id);
            Assert.Equal(3, audio.FindExtMap(SdpExtMap.TransportWideCc)!.Id);
            Assert.Contains("transport-cc", video.RtpMaps[0].Feedback);
            Assert.All(answer.Media, m => Assert.Equal(3, m.TransportCcExtensionId));
        }
        else
        {
            Assert.Null(video.FindExtMap(SdpExtMap.TransportWideCc));
            Assert.Null(audio.FindExtMap(SdpExtMap.TransportWideCc));
            Assert.DoesNotContain("transport-cc", video.RtpMaps[0].Feedback);
            Assert.All(answer.Media, m => Assert.Null(m.TransportCcExtensionId));
        }

        Assert.DoesNotContain("transport-cc", audio.RtpMaps.Single().Feedback); // not offered for opus here
    }
}
