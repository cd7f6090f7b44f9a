using System.Net;
using Lilium.Testing.WebRtc;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

/// <summary>RTX (RFC 4588) in WHIP and WHEP answers: the offer's rtx payload type for the chosen video codec, only when offered.</summary>
[Trait("Category", "Unit")]
public sealed class SdpRtxTests
{
    private static readonly DtlsCertificate Certificate = DtlsCertificate.Generate();

    private static SdpLocalTransport Local => new("lite", "0123456789abcdefghijkl", Certificate.Fingerprint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882));

    private static SdpEgressTrack[] Tracks(uint? rtxSsrc) =>
    [
        new("video", new SdpRtpMap(100, "VP8", 90000, 1), 1111, "relay", "s", "v") { RtxSsrc = rtxSsrc },
        new("audio", new SdpRtpMap(111, "opus", 48000, 2), 2222, "relay", "s", "a"),
    ];

    private static string WithoutRtx(string offer) => string.Join("\r\n", offer.Split("\r\n")
            .Where(l => !l.Contains(" rtx/", StringComparison.Ordinal) && !l.Contains("apt=", StringComparison.Ordinal) && !l.StartsWith("a=ssrc-group:FID", StringComparison.Ordinal)))
        .Replace(" 96 97 102 103", " 96 102", StringComparison.Ordinal).Replace(" 97 98 99 100 101 102", " 97 99 101", StringComparison.Ordinal)
        .Replace("SAVPF 97 98\r\n", "SAVPF 97\r\n", StringComparison.Ordinal);

    private static SdpSession Parse(string text)
    {
        Assert.True(SdpParser.TryParse(text, out var sdp, out var error), error);
        return sdp!;
    }

    [Fact]
    public void Whip_answer_keeps_the_publishers_rtx_payload_type_and_reads_its_fid_group()
    {
        var offer = Parse(SdpFixtures.AiortcPublisherOffer.ReplaceLineEndings("\r\n")); // VP8 97, rtx 98 apt=97, FID 3572150876 177863730
        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer, Local, out var answer, out var error), error);

        var video = Parse(answer!.Text).Media[0];
        Assert.Equal(["97", "98"], video.Formats);
        Assert.Equal(97, video.RtpMaps[1].AssociatedPayloadType);
        Assert.Equal(98, video.RtxPayloadTypeFor(97));
        Assert.Empty(video.RtpMaps[1].Feedback);
        Assert.Empty(video.SsrcGroups); // we send nothing on a WHIP session

        var negotiated = answer.Media[0];
        Assert.Equal((98, 177863730u, (uint?)null), (negotiated.RtxPayloadType, negotiated.RemoteRtxSsrc, negotiated.LocalRtxSsrc));
        Assert.Null(answer.Media[1].RtxPayloadType); // audio: no rtx
    }

    [Fact]
    public void Whep_answer_announces_the_rtx_ssrc_in_a_fid_group_under_the_viewers_payload_type()
    {
        var offer = Parse(SdpFixtures.ChromeViewerOffer); // video: VP8 96, rtx 97 apt=96, H.264 102, rtx 103
        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer, Local, Tracks(rtxSsrc: 5555), out var answer, out var error), error);

        var video = Parse(answer!.Text).Media.Single(m => m.Kind == "video");
        Assert.Equal(["96", "97"], video.Formats);
        Assert.Equal(97, video.RtxPayloadTypeFor(96));
        Assert.Equal([(1111u, 5555u)], video.FidPairs);
        Assert.Equal([1111u, 5555u], video.DistinctSsrcs); // media first: aiortc takes the first as the media SSRC
        Assert.Contains(video.Ssrcs, s => s is { Ssrc: 5555, Attribute: "msid", Value: "s v" });

        var negotiated = answer.Media.Single(m => m.Kind == "video");
        Assert.Equal((97, (uint?)5555u), (negotiated.RtxPayloadType, negotiated.LocalRtxSsrc));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void No_rtx_in_an_answer_to_an_offer_without_it(bool ingest)
    {
        var text = ingest ? SdpFixtures.AiortcPublisherOffer.ReplaceLineEndings("\r\n") : SdpFixtures.ChromeViewerOffer.ReplaceLineEndings("\r\n");
        var offer = Parse(WithoutRtx(text));
        Assert.All(offer.Media, m => Assert.DoesNotContain(m.RtpMaps, r => r.Is("rtx")));
        SdpAnswer? answer;
        string? error;
        Assert.True(ingest
            ? SdpAnswerBuilder.TryAnswerIngest(offer, Local, out answer, out error)
            : SdpAnswerBuilder.TryAnswerEgress(offer, Local, Tracks(rtxSsrc: 5555), out answer, out error), error);

        Assert.DoesNotContain(" rtx/", answer!.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("ssrc-group", answer.Text, StringComparison.Ordinal);
        Assert.All(answer.Media, m => Assert.Equal((null, null), (m.RtxPayloadType, m.LocalRtxSsrc)));
    }

    [Fact]
    public void Whep_answer_has_no_rtx_without_an_rtx_ssrc_to_send_on()
    {
        var offer = Parse(TestOffers.Viewer()); // offers rtx 98 apt=97
        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer, Local, Tracks(rtxSsrc: null), out var answer, out var error), error);

        Assert.DoesNotContain(" rtx/", answer!.Text, StringComparison.Ordinal);
        Assert.Null(answer.Media[0].RtxPayloadType);
    }

    [Fact]
    public void Rtx_follows_the_chosen_codec_not_the_first_rtx_format()
    {
        // The viewer's VP8 is 96 with rtx 97; the publisher sends H.264, which the viewer has as 102 with rtx 103.
        var offer = Parse(SdpFixtures.ChromeViewerOffer);
        // The same profile as the viewer's (Baseline): profiles must match exactly (CodecMatcher, as libwebrtc).
        var h264 = new SdpRtpMap(125, "H264", 90000, 1) { Fmtp = "packetization-mode=1;profile-level-id=42001f" };
        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer, Local, [new("video", h264, 1111, "relay", "s", "v") { RtxSsrc = 5555 }], out var answer, out var error), error);

        var video = Parse(answer!.Text).Media.Single(m => m.Port != 0);
        Assert.Equal(["102", "103"], video.Formats);
        Assert.Equal(102, video.RtpMaps[1].AssociatedPayloadType);
    }
}
