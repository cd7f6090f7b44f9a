using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

[Trait("Category", "Unit")]
public sealed class SdpParserTests
{
    [Fact]
    public void Parses_aiortc_publisher_offer()
    {
        Assert.True(SdpParser.TryParse(SdpFixtures.AiortcPublisherOffer, out var sdp, out var error), error);

        Assert.Equal(["0", "1"], sdp!.BundleMids);
        Assert.False(sdp.IceLite);
        Assert.Equal(2, sdp.Media.Count);

        var video = sdp.Media[0];
        Assert.Equal("video", video.Kind);
        Assert.Equal("0", video.Mid);
        Assert.Equal(SdpDirection.SendOnly, video.Direction);
        Assert.True(video.RtcpMux);
        Assert.Equal(SdpSetup.ActPass, video.Setup);
        Assert.Equal("oGiI".Length, video.IceUfrag!.Length);
        Assert.Equal("sha-256", video.Fingerprint!.Algorithm);
        Assert.Equal(["97", "98", "99", "100", "101", "102"], video.Formats);
        var vp8 = video.RtpMaps[0];
        Assert.Equal((97, "VP8", 90000, 1), (vp8.PayloadType, vp8.EncodingName, vp8.ClockRate, vp8.Channels));
        Assert.Equal(["nack", "nack pli", "goog-remb"], vp8.Feedback);
        var h264 = video.RtpMaps.Single(m => m.PayloadType == 101);
        Assert.Equal("42e01f", h264.FmtpParameters["profile-level-id"]);
        Assert.Equal("1", h264.FmtpParameters["packetization-mode"]);
        Assert.Equal("apt=97", video.RtpMaps.Single(m => m.PayloadType == 98).Fmtp);
        Assert.Equal(1, video.FindExtMap(SdpExtMap.SdesMid)!.Id);
        Assert.Equal(2, video.DistinctSsrcs.Count);
        Assert.Equal("FID", video.SsrcGroups.Single().Semantics);
        Assert.Equal(video.DistinctSsrcs[1], video.RtxSsrcs.Single());
        Assert.Contains(video.Ssrcs, s => s.Attribute == "cname");
        Assert.NotNull(video.Msid);
        Assert.Equal(2, video.Candidates.Count);
        Assert.Equal("host", video.Candidates[0].Type);
        Assert.Equal(2130706431u, video.Candidates[0].Priority);
        Assert.True(video.EndOfCandidates);

        var audio = sdp.Media[1];
        Assert.Equal("audio", audio.Kind);
        Assert.Equal(("opus", 48000, 2), (audio.RtpMaps[0].EncodingName, audio.RtpMaps[0].ClockRate, audio.RtpMaps[0].Channels));
        Assert.Equal(2, audio.FindExtMap(SdpExtMap.AudioLevel)!.Id);
        Assert.NotEqual(video.IceUfrag, audio.IceUfrag);
    }

    [Fact]
    public void Session_level_transport_attributes_are_inherited_by_media()
    {
        const string offer = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789012345678901\r\n" +
            "a=fingerprint:sha-256 " + Zeros32 + "\r\na=setup:active\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\na=rtpmap:111 opus/48000/2\r\n";

        Assert.True(SdpParser.TryParse(offer, out var sdp, out var error), error);

        var m = sdp!.Media.Single();
        Assert.Equal("abcd", m.IceUfrag);
        Assert.Equal(SdpSetup.Active, m.Setup);
        Assert.Equal(SdpDirection.SendRecv, m.Direction);
        Assert.NotNull(m.Fingerprint);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { "", "empty" },
        { "hello world", "line 1" },
        { "v=1\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", "version" },
        { "v=0\r\ns=-\r\nm=audio 9 RTP/AVP 0\r\n", "o=" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n", "no m-sections" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio\r\n", "m=" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 99999 RTP/AVP 0\r\n", "port" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus\r\n", "rtpmap" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=rtpmap:999 opus/48000\r\n", "rtpmap" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=extmap:0 urn:x\r\n", "extmap" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=ssrc:abc cname:x\r\n", "ssrc" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=ssrc-group:FID 1 x\r\n", "ssrc-group" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=setup:sideways\r\n", "setup" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=fingerprint:sha-256 AB:CD\r\n", "fingerprint" },
        { "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=audio 9 RTP/AVP 111\r\na=mid:\r\n", "mid" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_descriptions_yield_an_error_naming_the_problem(string text, string expected)
    {
        Assert.False(SdpParser.TryParse(text, out var sdp, out var error));
        Assert.Null(sdp);
        Assert.Contains(expected, error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Oversized_description_is_refused()
    {
        var huge = "v=0\r\n" + new string('a', SdpParser.MaxLength);
        Assert.False(SdpParser.TryParse(huge, out _, out var error));
        Assert.Contains("longer", error);
    }

    [Fact]
    public void Mutated_offers_never_throw()
    {
        var random = new Random(1234);
        var source = SdpFixtures.AiortcPublisherOffer.ToCharArray();
        var parsed = 0;
        for (var i = 0; i < 3000; i++)
        {
            var copy = (char[])source.Clone();
            var edits = random.Next(1, 12);
            for (var e = 0; e < edits; e++)
            {
                copy[random.Next(copy.Length)] = (char)random.Next(0, 128);
            }

            var text = new string(copy, 0, random.Next(copy.Length / 2, copy.Length));
            if (SdpParser.TryParse(text, out var sdp, out _))
            {
                parsed++;
                _ = sdp!.Media.Sum(m => m.RtpMaps.Count);
            }
        }

        Assert.InRange(parsed, 1, 2999); // some mutations survive, many are caught
    }

    [Fact]
    public void Parses_trickle_fragment()
    {
        const string frag = "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n" +
            "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0 ufrag EsAw network-id 1\r\n" +
            "a=candidate:bogus\r\na=end-of-candidates\r\n";

        Assert.True(SdpParser.TryParseFragment(frag, out var fragment, out var error), error);

        Assert.Equal("EsAw", fragment!.IceUfrag);
        var m = fragment.Media.Single();
        Assert.Equal("0", m.Mid);
        var c = m.Candidates.Single();
        Assert.Equal(("192.0.2.1", 61764, "udp", "host"), (c.Address, c.Port, c.Transport, c.Type));
        Assert.True(m.EndOfCandidates);
    }

    [Theory]
    [InlineData("sha-256 " + Zeros32, true)]
    [InlineData("SHA-256 " + Zeros32, true)]
    [InlineData("sha-256 " + Zeros32 + ":00", false)]
    [InlineData("sha-256 00-00", false)]
    [InlineData("md5 00:00", false)]
    [InlineData("sha-256", false)]
    [InlineData(null, false)]
    public void Fingerprint_parsing(string? text, bool ok)
    {
        Assert.Equal(ok, DtlsFingerprint.TryParse(text, out var fp));
        if (ok)
        {
            Assert.Equal("sha-256 " + Zeros32, fp!.ToString());
        }
    }

    private const string Zeros32 = "00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00:00";
}
