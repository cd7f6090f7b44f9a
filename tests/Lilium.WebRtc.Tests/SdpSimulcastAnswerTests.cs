using System.Net;
using Lilium.Testing.WebRtc;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

/// <summary>WHIP answers to simulcast offers: one <c>a=rid:… recv</c> per offered RID, <c>a=simulcast:recv</c>, the RID extensions kept.</summary>
[Trait("Category", "Unit")]
public sealed class SdpSimulcastAnswerTests
{
    private static readonly DtlsCertificate Certificate = DtlsCertificate.Generate();

    private static SdpLocalTransport Local => new("lite", "0123456789abcdefghijkl", Certificate.Fingerprint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882));

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    private static (SdpAnswer Answer, SdpMedia Video) Answer(string offerText)
    {
        Assert.True(SdpParser.TryParse(offerText, out var offer, out var parseError), parseError);
        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out var error), error);
        Assert.True(SdpParser.TryParse(answer!.Text, out var parsed, out var reparseError), reparseError);
        return (answer, parsed!.Media.First(m => m.Kind == "video" && m.Port != 0));
    }

    [Fact]
    public void Chromiums_simulcast_offer_is_answered_with_recv_rids_and_the_rid_extensions()
    {
        var (answer, video) = Answer(Fixture("chromium-simulcast-offer.sdp"));

        Assert.Equal(["q", "h", "f"], video.Rids.Select(r => r.Id));
        Assert.All(video.Rids, r => Assert.False(r.Send));
        Assert.Equal(["q", "h", "f"], video.Simulcast!.Receive.Select(e => e.Single().Rid));
        Assert.Empty(video.Simulcast.Send);
        Assert.Equal(10, video.FindExtMap(SdpExtMap.SdesRtpStreamId)!.Id);
        Assert.Equal(11, video.FindExtMap(SdpExtMap.SdesRepairedRtpStreamId)!.Id);
        Assert.Equal(9, video.FindExtMap(SdpExtMap.SdesMid)!.Id);
        Assert.Equal(SdpDirection.RecvOnly, video.Direction);

        var negotiated = answer.Media.Single(m => m.Kind == "video");
        Assert.Equal(["q", "h", "f"], negotiated.Rids);
        Assert.Equal(10, negotiated.RidExtensionId);
        Assert.Equal(11, negotiated.RepairedRidExtensionId);
        Assert.Empty(answer.Media.Single(m => m.Kind == "audio").Rids);
        Assert.DoesNotContain("a=rid", answer.Text.Split("m=audio")[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_synthetic_simulcast_offer_is_answered_the_same_way()
    {
        var (answer, video) = Answer(TestOffers.WithSimulcast(TestOffers.Publisher()));
        Assert.Equal(["q", "h", "f"], video.Simulcast!.Receive.Select(e => e.Single().Rid));
        Assert.Equal(4, video.FindExtMap(SdpExtMap.SdesRtpStreamId)!.Id);
        Assert.Equal(["q", "h", "f"], answer.Media.Single(m => m.Kind == "video").Rids);
    }

    [Fact]
    public void More_than_three_rids_keep_the_first_three()
    {
        var offer = TestOffers.WithSimulcast(TestOffers.Publisher())
            .Replace("a=rid:f send\r\n", "a=rid:f send\r\na=rid:x send\r\n", StringComparison.Ordinal)
            .Replace("a=simulcast:send q;h;f", "a=simulcast:send q;h;f;x", StringComparison.Ordinal);
        var (_, video) = Answer(offer);
        Assert.Equal(["q", "h", "f"], video.Rids.Select(r => r.Id));
    }

    [Fact]
    public void Without_the_rid_extension_or_simulcast_the_answer_has_no_simulcast_lines()
    {
        var noExtension = TestOffers.WithSimulcast(TestOffers.Publisher())
            .Replace("a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n", string.Empty, StringComparison.Ordinal);
        var (answer, video) = Answer(noExtension);
        Assert.Empty(video.Rids);
        Assert.Null(video.Simulcast);
        Assert.Empty(answer.Media.Single(m => m.Kind == "video").Rids);

        var (plain, plainVideo) = Answer(TestOffers.Publisher());
        Assert.Null(plainVideo.Simulcast);
        Assert.DoesNotContain("rtp-stream-id", plain.Text, StringComparison.Ordinal);
    }
}
