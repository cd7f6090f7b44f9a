using System.Net;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

/// <summary>The playout-delay element's wire format, and the answers that negotiate it and abs-capture-time.</summary>
[Trait("Category", "Unit")]
public sealed class PlayoutDelayTests
{
    private static readonly DtlsCertificate Certificate = DtlsCertificate.Generate();

    private static SdpLocalTransport Local => new("lite", "0123456789abcdefghijkl", Certificate.Fingerprint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882));

    [Theory]
    [InlineData(0, 0, new byte[] { 0x00, 0x00, 0x00 })]
    [InlineData(100, 400, new byte[] { 0x00, 0xA0, 0x28 })] // min 10 × 10 ms, max 40 × 10 ms in 12 bits each
    [InlineData(40950, 40950, new byte[] { 0xFF, 0xFF, 0xFF })]
    [InlineData(15, 29, new byte[] { 0x00, 0x10, 0x02 })] // rounded down to 10 ms
    public void Writes_min_and_max_as_two_12_bit_fields_of_10_ms(int min, int max, byte[] expected)
    {
        var data = new byte[PlayoutDelay.Size];
        PlayoutDelay.Write(data, min, max);
        Assert.Equal(expected, data);
        Assert.True(PlayoutDelay.TryRead(data, out var readMin, out var readMax));
        Assert.Equal((min / 10 * 10, max / 10 * 10), (readMin, readMax));
    }

    [Fact]
    public void Reading_refuses_a_wrong_length_or_min_above_max_without_throwing()
    {
        Assert.False(PlayoutDelay.TryRead([0, 0], out _, out _));
        Assert.False(PlayoutDelay.TryRead([0, 0, 0, 0], out _, out _));
        Assert.False(PlayoutDelay.TryRead([0x00, 0xA0, 0x05], out _, out _)); // min 100 ms, max 50 ms
        Assert.Throws<ArgumentOutOfRangeException>(() => PlayoutDelay.Write(new byte[3], 50, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => PlayoutDelay.Write(new byte[3], 0, PlayoutDelay.MaxMilliseconds + 10));
    }

    [Fact]
    public void Egress_answer_echoes_playout_delay_on_video_and_abs_capture_time_where_offered()
    {
        Assert.True(SdpParser.TryParse(WithVideoExtensions(SdpFixtures.ChromeViewerOffer), out var offer, out var parseError), parseError);
        var tracks = new[]
        {
            new SdpEgressTrack("video", new SdpRtpMap(97, "VP8", 90000, 1), 1111, "relay", "stream", "video0"),
            new SdpEgressTrack("audio", new SdpRtpMap(96, "opus", 48000, 2), 2222, "relay", "stream", "audio0"),
        };

        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer!, Local, tracks, out var answer, out var error), error);

        Assert.True(SdpParser.TryParse(answer!.Text, out var parsed, out _));
        var video = parsed!.Media.Single(m => m.Kind == "video");
        Assert.Equal(5, video.FindExtMap(SdpExtMap.PlayoutDelay)!.Id);
        Assert.Equal(13, video.FindExtMap(SdpExtMap.AbsCaptureTime)!.Id);
        Assert.Null(parsed.Media.Single(m => m.Kind == "audio").FindExtMap(SdpExtMap.PlayoutDelay));
        var negotiated = answer.Media.Single(m => m.Kind == "video");
        Assert.Equal((5, 13), (negotiated.PlayoutDelayExtensionId, negotiated.AbsCaptureTimeExtensionId));
    }

    [Fact]
    public void Ingest_answer_passes_abs_capture_time_but_never_playout_delay()
    {
        Assert.True(SdpParser.TryParse(WithVideoExtensions(SdpFixtures.AiortcPublisherOffer), out var offer, out var parseError), parseError);

        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out var error), error);

        Assert.True(SdpParser.TryParse(answer!.Text, out var parsed, out _));
        var video = parsed!.Media.Single(m => m.Kind == "video");
        Assert.Null(video.FindExtMap(SdpExtMap.PlayoutDelay));
        Assert.Equal(13, video.FindExtMap(SdpExtMap.AbsCaptureTime)!.Id);
        var negotiated = answer.Media.Single(m => m.Kind == "video");
        Assert.Null(negotiated.PlayoutDelayExtensionId);
        Assert.Equal(13, negotiated.AbsCaptureTimeExtensionId);
    }

    [Fact]
    public void Offers_without_the_extensions_get_answers_without_them()
    {
        Assert.True(SdpParser.TryParse(SdpFixtures.ChromeViewerOffer, out var offer, out _));
        var tracks = new[] { new SdpEgressTrack("video", new SdpRtpMap(97, "VP8", 90000, 1), 1111, "relay", "stream", "video0") };

        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer!, Local, tracks, out var answer, out var error), error);

        Assert.DoesNotContain("playout-delay", answer!.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("abs-capture-time", answer.Text, StringComparison.Ordinal);
        Assert.All(answer.Media, m => Assert.Null(m.PlayoutDelayExtensionId));
    }

    // Chrome numbers playout-delay 5 in its video sections; abs-capture-time is added here as a publisher would offer it.
    private static string WithVideoExtensions(string offer)
    {
        var at = offer.IndexOf("m=video", StringComparison.Ordinal);
        var newline = offer.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var mid = offer.IndexOf("a=mid:", at, StringComparison.Ordinal);
        var end = offer.IndexOf(newline, mid, StringComparison.Ordinal) + newline.Length;
        return offer[..end]
            + $"a=extmap:5 {SdpExtMap.PlayoutDelay}{newline}a=extmap:13 {SdpExtMap.AbsCaptureTime}{newline}"
            + offer[end..];
    }
}
