using System.Net;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

[Trait("Category", "Unit")]
public sealed class SdpAnswerBuilderTests
{
    private static readonly DtlsCertificate Certificate = DtlsCertificate.Generate();

    private static SdpLocalTransport Local => new("lite", "0123456789abcdefghijkl", Certificate.Fingerprint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882));

    [Fact]
    public void Ingest_answer_is_recvonly_ice_lite_passive_bundled_with_first_supported_codec()
    {
        Assert.True(SdpParser.TryParse(SdpFixtures.AiortcPublisherOffer, out var offer, out _));

        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out var error), error);

        Assert.True(SdpParser.TryParse(answer!.Text, out var parsed, out var reparseError), reparseError);
        Assert.True(parsed!.IceLite);
        Assert.Equal(["0", "1"], parsed.BundleMids);
        Assert.All(parsed.Media, m =>
        {
            Assert.Equal(SdpDirection.RecvOnly, m.Direction);
            Assert.Equal(SdpSetup.Passive, m.Setup);
            Assert.True(m.RtcpMux);
            Assert.Equal("lite", m.IceUfrag);
            Assert.Equal(Certificate.Fingerprint, m.Fingerprint);
            var candidate = Assert.Single(m.Candidates);
            Assert.Equal(("203.0.113.7", 7882, "host", SdpAnswerBuilder.HostPriority), (candidate.Address, candidate.Port, candidate.Type, candidate.Priority));
            Assert.Equal(1, m.FindExtMap(SdpExtMap.SdesMid)!.Id);
            Assert.Null(m.FindExtMap(SdpExtMap.AbsSendTime));
        });

        var video = parsed.Media[0];
        Assert.Equal(["97", "98"], video.Formats); // VP8 and its rtx (SdpRtxTests)
        Assert.Equal("VP8", video.RtpMaps[0].EncodingName);
        Assert.Equal(["nack", "nack pli", "goog-remb"], video.RtpMaps[0].Feedback); // aiortc offers no transport-cc
        Assert.Equal(96, parsed.Media[1].RtpMaps.Single().PayloadType);
        Assert.Equal(2, parsed.Media[1].FindExtMap(SdpExtMap.AudioLevel)!.Id);

        var negotiated = answer.Media;
        Assert.Equal(2, negotiated[0].RemoteSsrcs.Count);
        Assert.True(negotiated[0].Nack && negotiated[0].Pli && !negotiated[0].Fir);
        Assert.Equal(1, negotiated[0].MidExtensionId);
        Assert.Equal(2, negotiated[1].AudioLevelExtensionId);
    }

    [Fact]
    public void Ingest_accepts_one_audio_and_one_video_section_and_declines_the_rest()
    {
        // Issue 23: every accepted section costs a packet cache; an offer of 32 video sections used to take them all.
        var text = SdpFixtures.AiortcPublisherOffer.ReplaceLineEndings("\r\n");
        var video = text[text.IndexOf("m=video", StringComparison.Ordinal)..text.IndexOf("m=audio", StringComparison.Ordinal)];
        var extra = Enumerable.Range(10, 30).Select(i => video.Replace("a=mid:0", $"a=mid:{i}")).ToList();
        var offerText = text.TrimEnd() + "\r\n" + string.Concat(extra);
        offerText = offerText.Replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 " + string.Join(' ', Enumerable.Range(10, 30)));
        Assert.True(SdpParser.TryParse(offerText, out var offer, out var parseError), parseError);
        Assert.Equal(32, offer!.Media.Count);

        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer, Local, out var answer, out var error), error);

        Assert.Equal(["video", "audio"], answer!.Media.Select(m => m.Kind));
        Assert.True(SdpParser.TryParse(answer.Text, out var parsed, out _));
        Assert.Equal(32, parsed!.Media.Count);
        Assert.Equal(30, parsed.Media.Count(m => m.Port == 0));
        Assert.Equal(["0", "1"], parsed.BundleMids);
    }

    [Fact]
    public void Egress_answer_maps_publisher_codecs_onto_viewer_payload_types_and_announces_ssrcs()
    {
        Assert.True(SdpParser.TryParse(SdpFixtures.ChromeViewerOffer, out var offer, out _));
        var tracks = new[]
        {
            new SdpEgressTrack("video", new SdpRtpMap(97, "VP8", 90000, 1), 1111, "relay", "stream", "video0"),
            new SdpEgressTrack("audio", new SdpRtpMap(96, "opus", 48000, 2), 2222, "relay", "stream", "audio0"),
        };

        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer!, Local, tracks, out var answer, out var error), error);

        Assert.True(SdpParser.TryParse(answer!.Text, out var parsed, out _));
        Assert.Equal(["0", "1"], parsed!.BundleMids);
        var audio = parsed.Media[0];
        Assert.Equal(SdpDirection.SendOnly, audio.Direction);
        Assert.Equal(111, audio.RtpMaps.Single().PayloadType);
        Assert.Equal("minptime=10;useinbandfec=1", audio.RtpMaps.Single().Fmtp);
        Assert.Equal(4, audio.FindExtMap(SdpExtMap.SdesMid)!.Id);
        Assert.True(audio.RtcpRsize);
        Assert.Equal("stream audio0", audio.Msid);
        Assert.Contains(audio.Ssrcs, s => s is { Ssrc: 2222, Attribute: "cname", Value: "relay" });
        Assert.Contains(audio.Ssrcs, s => s is { Ssrc: 2222, Attribute: "msid", Value: "stream audio0" });

        var video = parsed.Media[1];
        Assert.Equal(96, video.RtpMaps.Single().PayloadType);
        Assert.Equal(["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"], video.RtpMaps.Single().Feedback);
        Assert.Equal(1111u, video.DistinctSsrcs.Single());
        Assert.Equal(1111u, answer.Media[1].LocalSsrc);
    }

    [Fact]
    public void Egress_rejects_m_section_whose_codec_the_publisher_does_not_send()
    {
        Assert.True(SdpParser.TryParse(SdpFixtures.ChromeViewerOffer, out var offer, out _));
        var h264High = new SdpRtpMap(100, "H264", 90000, 1) { Fmtp = "packetization-mode=1;profile-level-id=640032" };
        var tracks = new[]
        {
            new SdpEgressTrack("video", h264High, 1111, "relay", "s", "v"),
            new SdpEgressTrack("audio", new SdpRtpMap(96, "opus", 48000, 2), 2222, "relay", "s", "a"),
        };

        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer!, Local, tracks, out var answer, out _));

        Assert.True(SdpParser.TryParse(answer!.Text, out var parsed, out _));
        Assert.Equal(["0"], parsed!.BundleMids);
        Assert.Equal(0, parsed.Media[1].Port);
        Assert.Equal("1", parsed.Media[1].Mid);
        Assert.Single(answer.Media);
    }

    [Theory]
    [InlineData("a=setup:actpass", "a=setup:passive", "setup")]
    [InlineData("a=ice-ufrag:", "a=x-ufrag:", "ice-ufrag")]
    [InlineData("a=fingerprint:", "a=x-fingerprint:", "fingerprint")]
    [InlineData("a=mid:1", "a=mid:0", "duplicate")]
    [InlineData("opus/48000/2", "speex/48000/2", "")]
    public void Unanswerable_offers_yield_errors(string find, string replace, string expected)
    {
        var text = SdpFixtures.AiortcPublisherOffer.Replace(find, replace, StringComparison.Ordinal);
        if (find == "opus/48000/2")
        {
            // Formats the relay does not forward (VP9 and AV1 it does: CodecMatcherTests).
            text = text.Replace("VP8/90000", "H265/90000", StringComparison.Ordinal).Replace("H264/90000", "MP4V-ES/90000", StringComparison.Ordinal);
            expected = "no acceptable";
        }

        Assert.True(SdpParser.TryParse(text, out var offer, out var parseError), parseError);
        Assert.False(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out var error));
        Assert.Null(answer);
        Assert.Contains(expected, error);
    }

    private const string DataChannelOnly = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        + "{0}\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=ice-ufrag:oGiI\r\na=ice-pwd:GNInPXMd3a63snFKjkSxlZ\r\n"
        + "a=fingerprint:sha-256 2F:68:81:3A:0E:A4:ED:73:AE:94:0E:7A:8F:68:8C:86:92:80:EA:05:A4:5E:AA:B0:01:51:AE:A6:5A:69:1C:D3\r\n"
        + "a=setup:actpass\r\n{1}\r\n";

    [Theory]
    [InlineData("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=sctp-port:5001\r\na=max-message-size:262144", false, 5001, 262144)]
    [InlineData("m=application 9 DTLS/SCTP 5000", "a=sctpmap:5000 webrtc-datachannel 65535\r\na=max-message-size:65536", true, 5000, 65536)]
    [InlineData("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=max-message-size:0", false, 5000, int.MaxValue)]
    public void Data_channel_section_is_answered_in_the_form_it_was_offered(string mLine, string attributes, bool legacy, int port, long maxMessage)
    {
        Assert.True(SdpParser.TryParse(string.Format(System.Globalization.CultureInfo.InvariantCulture, DataChannelOnly, mLine, attributes), out var offer, out var parseError), parseError);

        Assert.True(SdpAnswerBuilder.TryAnswerEgress(offer!, Local, [], out var answer, out var error), error);

        Assert.Equal(new SdpDataChannelMedia("0", port, maxMessage) { Legacy = legacy }, answer!.DataChannel);
        Assert.Equal("0", answer.TransportMid);
        Assert.Empty(answer.Media);
        Assert.Contains(legacy ? "m=application 7882 DTLS/SCTP 5000\r\n" : "m=application 7882 UDP/DTLS/SCTP webrtc-datachannel\r\n", answer.Text);
        Assert.Contains(legacy ? "a=sctpmap:5000 webrtc-datachannel 1024\r\n" : "a=sctp-port:5000\r\n", answer.Text);
        Assert.Contains("a=max-message-size:65536\r\n", answer.Text);
        Assert.True(SdpParser.TryParse(answer.Text, out var parsed, out _));
        Assert.Equal("lite", parsed!.Media[0].IceUfrag);
    }

    [Theory]
    [InlineData("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=sctp-port:99999")]
    [InlineData("m=application 9 UDP/DTLS/SCTP webrtc-datachannel", "a=max-message-size:-1")]
    [InlineData("m=application 9 DTLS/SCTP 5000", "a=sctpmap:5000 t38 1")]
    [InlineData("m=application 9 DTLS/SCTP x", "a=sctpmap:x webrtc-datachannel 1")]
    [InlineData("m=application 9 UDP/BFCP *", "a=floorctrl:c-s")]
    public void Unusable_data_channel_sections_are_rejected(string mLine, string attributes)
    {
        Assert.True(SdpParser.TryParse(string.Format(System.Globalization.CultureInfo.InvariantCulture, DataChannelOnly, mLine, attributes), out var offer, out _));

        Assert.False(SdpAnswerBuilder.TryAnswerEgress(offer!, Local, [], out var answer, out var error));
        Assert.Null(answer);
        Assert.Contains("no acceptable m-section", error);
    }
}
