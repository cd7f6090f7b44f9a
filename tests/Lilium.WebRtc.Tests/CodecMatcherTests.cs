using System.Net;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Codec negotiation (issue 25 item 4): H.264 profile-level-id read as RFC 6184 §8.1 Table 5 and libwebrtc read it
/// (profile_idc and the constraint flags decide the profile), VP9/AV1 profiles, the levels an answer states, and what
/// WHIP and WHEP answers negotiate for Chromium's own offers.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CodecMatcherTests
{
    private static readonly DtlsCertificate Certificate = DtlsCertificate.Generate();

    private static SdpLocalTransport Local => new("lite", "0123456789abcdefghijkl", Certificate.Fingerprint, new IPEndPoint(IPAddress.Parse("203.0.113.7"), 7882));

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    // RFC 6184 Table 5 and the examples of §8.1 (42e01f constrained baseline 3.1), plus the forms browsers offer.
    [Theory]
    [InlineData("42e01f", H264Profile.ConstrainedBaseline, 31)]
    [InlineData("42c01f", H264Profile.ConstrainedBaseline, 31)]
    [InlineData("42401f", H264Profile.ConstrainedBaseline, 31)] // constraint_set1 alone is enough for 0x42
    [InlineData("4de01f", H264Profile.ConstrainedBaseline, 31)] // Main with constraint_set0: decodable as constrained baseline
    [InlineData("4d801f", H264Profile.ConstrainedBaseline, 31)]
    [InlineData("58c01f", H264Profile.ConstrainedBaseline, 31)]
    [InlineData("42001f", H264Profile.Baseline, 31)]
    [InlineData("42a01e", H264Profile.Baseline, 30)] // constraint_set0 and set2, not set1
    [InlineData("58801f", H264Profile.Baseline, 31)]
    [InlineData("4d001f", H264Profile.Main, 31)]
    [InlineData("4d4028", H264Profile.Main, 40)]
    [InlineData("58001f", H264Profile.Extended, 31)]
    [InlineData("640c1f", H264Profile.ConstrainedHigh, 31)]
    [InlineData("64001f", H264Profile.High, 31)]
    [InlineData("640034", H264Profile.High, 52)]
    [InlineData("f4001f", H264Profile.PredictiveHigh444, 31)]
    [InlineData("42f00b", H264Profile.ConstrainedBaseline, H264ProfileLevelId.Level1b)] // level_idc 11 + constraint_set3 = 1b
    [InlineData("42e00b", H264Profile.ConstrainedBaseline, 11)]
    [InlineData("640009", H264Profile.High, H264ProfileLevelId.Level1b)]
    [InlineData("42E01F", H264Profile.ConstrainedBaseline, 31)]
    public void Profile_level_id_is_read_from_profile_idc_and_constraint_flags(string text, H264Profile profile, int level)
    {
        Assert.True(H264ProfileLevelId.TryParse(text, out var value));
        Assert.Equal(new H264ProfileLevelId(profile, level), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("42e01")]
    [InlineData("42e01f0")]
    [InlineData("42g01f")]
    [InlineData("42e0ff")] // level_idc 255
    [InlineData("42e000")]
    [InlineData("42e101")] // reserved bits set
    [InlineData("4d201f")] // 0x4d with constraint_set2 alone: neither Main (0x0x0000) nor Constrained Baseline (1xxx0000)
    [InlineData("6e001f")] // High 10: not a profile WebRTC negotiates
    [InlineData("64041f")] // High with a reserved bit
    public void Unknown_profiles_and_malformed_ids_are_refused(string text)
    {
        Assert.False(H264ProfileLevelId.TryParse(text, out _));
    }

    [Theory]
    [InlineData("42e01f")]
    [InlineData("42001f")]
    [InlineData("4d001f")]
    [InlineData("640c34")]
    [InlineData("42f00b")]
    [InlineData("640009")]
    public void The_canonical_form_reads_back_as_the_same_profile_and_level(string text)
    {
        Assert.True(H264ProfileLevelId.TryParse(text, out var value));
        Assert.True(H264ProfileLevelId.TryParse(value.ToString(), out var again));
        Assert.Equal(value, again);
    }

    [Fact]
    public void Level_1b_lies_between_1_0_and_1_1()
    {
        Assert.True(H264ProfileLevelId.IsLowerLevel(10, H264ProfileLevelId.Level1b));
        Assert.True(H264ProfileLevelId.IsLowerLevel(H264ProfileLevelId.Level1b, 11));
        Assert.False(H264ProfileLevelId.IsLowerLevel(H264ProfileLevelId.Level1b, 10));
        Assert.Equal(31, H264ProfileLevelId.MinLevel(31, 40));
        Assert.Equal(H264ProfileLevelId.Level1b, H264ProfileLevelId.MinLevel(31, H264ProfileLevelId.Level1b));
    }

    private static SdpRtpMap H264(int pt, string fmtp) => new(pt, "H264", 90000, 1) { Fmtp = fmtp };

    [Theory]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42c01f", true)]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=4de01f", true)]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42e034", true)] // levels may differ
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1", true)] // absent = 42e01f
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42001f", false)] // baseline ≠ constrained baseline
    [InlineData("packetization-mode=1;profile-level-id=4d001f", "packetization-mode=1;profile-level-id=4de01f", false)] // main ≠ constrained baseline
    [InlineData("packetization-mode=1;profile-level-id=64001f", "packetization-mode=1;profile-level-id=640c1f", false)]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=0;profile-level-id=42e01f", false)]
    [InlineData("packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=zzzzzz", false)]
    public void H264_carries_only_the_same_profile_and_packetization_mode(string source, string offered, bool expected)
    {
        Assert.Equal(expected, CodecMatcher.CanCarry(H264(102, offered), H264(108, source)));
    }

    [Theory]
    [InlineData("VP9", "profile-id=0", "", true)]
    [InlineData("VP9", "profile-id=0", "profile-id=2", false)]
    [InlineData("VP9", "profile-id=2", "profile-id=2", true)]
    [InlineData("AV1", "level-idx=5;profile=0;tier=0", "level-idx=5;profile=0;tier=0", true)]
    [InlineData("AV1", "level-idx=5;profile=0;tier=0", "", true)]
    [InlineData("AV1", "level-idx=5;profile=0;tier=0", "level-idx=5;profile=1;tier=0", false)]
    [InlineData("VP8", "", "", true)]
    public void Vp9_and_av1_carry_the_same_profile(string codec, string source, string offered, bool expected)
    {
        var s = new SdpRtpMap(98, codec, 90000, 1) { Fmtp = source };
        var o = new SdpRtpMap(100, codec, 90000, 1) { Fmtp = offered };
        Assert.Equal(expected, CodecMatcher.CanCarry(o, s));
        Assert.False(CodecMatcher.CanCarry(o with { EncodingName = "VP8X" }, s));
    }

    [Theory]
    [InlineData("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e034", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01f", "42e034")]
    [InlineData("packetization-mode=1;profile-level-id=42e034", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", "42e01f")]
    [InlineData("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=42e034", "42e01f")]
    [InlineData("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", "packetization-mode=1;profile-level-id=4de028", "42e01f")]
    public void The_answer_states_the_senders_level_only_when_both_allow_asymmetry(string source, string offered, string answered)
    {
        var answer = CodecMatcher.AnswerFor(H264(102, offered), H264(108, source));
        Assert.Equal(102, answer.PayloadType);
        Assert.Equal(answered, answer.FmtpParameters["profile-level-id"]);
        Assert.Equal("1", answer.FmtpParameters["packetization-mode"]);
        Assert.Equal(H264(102, offered).FmtpParameters.ContainsKey("level-asymmetry-allowed"), answer.FmtpParameters.ContainsKey("level-asymmetry-allowed"));
    }

    private static string WithVideoOrder(string offer, params string[] payloadTypes)
    {
        // What setCodecPreferences does: the m=video format list reordered, the preferred formats first.
        var lines = offer.ReplaceLineEndings("\n").Split('\n').ToList();
        var at = lines.FindIndex(l => l.StartsWith("m=video", StringComparison.Ordinal));
        var f = lines[at].Split(' ');
        lines[at] = string.Join(' ', f.Take(3).Concat(payloadTypes).Concat(f.Skip(3).Except(payloadTypes)));
        return string.Join("\r\n", lines);
    }

    private static string AsPublisher(string offer) => offer; // the fixture is a sendonly publisher offer

    [Theory]
    [InlineData("108", "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")]
    [InlineData("116", "H264", "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f")]
    [InlineData("98", "VP9", "profile-id=0")]
    [InlineData("100", "VP9", "profile-id=2")]
    [InlineData("45", "AV1", "level-idx=5;profile=0;tier=0")]
    [InlineData("96", "VP8", null)]
    public void Whip_answers_the_publishers_preferred_codec_with_its_payload_type_and_parameters(string pt, string codec, string? fmtp)
    {
        Assert.True(SdpParser.TryParse(AsPublisher(WithVideoOrder(Fixture("chromium-video-audio-offer.sdp"), pt)), out var offer, out var error), error);
        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out error), error);
        var video = answer!.Media.Single(m => m.Kind == "video").Codec;
        Assert.Equal((int.Parse(pt, System.Globalization.CultureInfo.InvariantCulture), codec, fmtp), (video.PayloadType, video.EncodingName, video.Fmtp));
        Assert.Contains($"a=rtpmap:{pt} {codec}/90000\r\n", answer.Text, StringComparison.Ordinal);
        if (fmtp is not null)
        {
            Assert.Contains($"a=fmtp:{pt} {fmtp}\r\n", answer.Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Whip_skips_h264_packetization_mode_0()
    {
        Assert.True(SdpParser.TryParse(WithVideoOrder(Fixture("chromium-video-audio-offer.sdp"), "104", "114", "108"), out var offer, out var error), error);
        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out error), error);
        Assert.Equal(108, answer!.Media.Single(m => m.Kind == "video").Codec.PayloadType);
    }

    [Fact]
    public void Opus_keeps_stereo_fec_and_dtx_as_offered_in_both_directions()
    {
        var fmtp = "minptime=10;useinbandfec=1;stereo=1;sprop-stereo=1;usedtx=1";
        var text = Fixture("chromium-video-audio-offer.sdp").Replace("a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:111 " + fmtp, StringComparison.Ordinal);
        Assert.True(SdpParser.TryParse(text, out var offer, out var error), error);
        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out error), error);
        Assert.Contains($"a=fmtp:111 {fmtp}\r\n", answer!.Text, StringComparison.Ordinal);

        var viewer = ViewerOffer(text);
        var opus = answer.Media.Single(m => m.Kind == "audio").Codec;
        Assert.True(SdpAnswerBuilder.TryAnswerEgress(viewer, Local, [new SdpEgressTrack("audio", opus, 1234, "c", "s", "a")], out var egress, out error), error);
        Assert.Contains($"a=fmtp:111 {fmtp}\r\n", egress!.Text, StringComparison.Ordinal);
    }

    // The same Chromium offer as a viewer's (recvonly): what a WHEP request carries.
    private static SdpSession ViewerOffer(string text)
    {
        Assert.True(SdpParser.TryParse(text.Replace("a=sendonly", "a=recvonly", StringComparison.Ordinal), out var offer, out var error), error);
        return offer!;
    }

    [Theory]
    [InlineData("packetization-mode=1;profile-level-id=42c01f", 108, "42e01f")] // constrained baseline: 108 (42e01f), not 102 (42001f)
    [InlineData("level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e028", 108, "42e028")]
    [InlineData("packetization-mode=1;profile-level-id=42001f", 102, "42001f")]
    [InlineData("packetization-mode=1;profile-level-id=4d0028", 116, "4d001f")] // no asymmetry from the publisher: the lower level
    public void Whep_gives_the_viewer_the_format_of_the_publishers_h264_profile(string publisherFmtp, int expectedPt, string answeredLevel)
    {
        var viewer = ViewerOffer(Fixture("chromium-video-audio-offer.sdp"));
        var track = new SdpEgressTrack("video", H264(126, publisherFmtp), 1234, "c", "s", "v");
        Assert.True(SdpAnswerBuilder.TryAnswerEgress(viewer, Local, [track], out var answer, out var error), error);
        var video = answer!.Media.Single().Codec;
        Assert.Equal(expectedPt, video.PayloadType);
        Assert.Equal(answeredLevel, video.FmtpParameters["profile-level-id"]);
        Assert.Null(CodecMatcher.FindUncarried(viewer, [("video", track.Codec)]));
    }

    [Fact]
    public void A_viewer_without_the_publishers_codec_is_named_by_FindUncarried()
    {
        var text = Fixture("chromium-video-audio-offer.sdp");
        var viewer = ViewerOffer(text);
        var high = H264(126, "packetization-mode=1;profile-level-id=640c1f");
        var found = CodecMatcher.FindUncarried(viewer, [("audio", new SdpRtpMap(111, "opus", 48000, 2)), ("video", high)]);
        Assert.Equal(("video", high), found);
        Assert.Contains("profile-level-id=640c1f", CodecMatcher.Describe(high), StringComparison.Ordinal);

        // An audio-only viewer asks for no video: nothing is missing.
        var audioOnly = ViewerOffer(text[..text.IndexOf("m=video", StringComparison.Ordinal)] + text[text.IndexOf("m=audio", StringComparison.Ordinal)..]);
        Assert.Null(CodecMatcher.FindUncarried(audioOnly, [("video", high)]));
    }

    [Fact]
    public void The_dependency_descriptor_is_negotiated_with_extmap_allow_mixed_and_kept_at_the_offered_id()
    {
        var text = Fixture("chromium-simulcast-offer.sdp");
        Assert.True(SdpParser.TryParse(WithVideoOrder(text, "45"), out var offer, out var error), error);
        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out var answer, out error), error);
        Assert.Contains("a=extmap-allow-mixed\r\n", answer!.Text, StringComparison.Ordinal);
        Assert.Contains("a=extmap:13 " + SdpExtMap.DependencyDescriptor + "\r\n", answer.Text, StringComparison.Ordinal);
        Assert.Equal(13, answer.Media.Single(m => m.Kind == "video").DependencyDescriptorExtensionId);

        // Without extmap-allow-mixed a descriptor with its structure (> 16 bytes) could not be sent: not negotiated.
        Assert.True(SdpParser.TryParse(WithVideoOrder(text, "45").Replace("a=extmap-allow-mixed\r\n", "", StringComparison.Ordinal), out offer, out error), error);
        Assert.True(SdpAnswerBuilder.TryAnswerIngest(offer!, Local, out answer, out error), error);
        Assert.DoesNotContain("dependency-descriptor", answer!.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("extmap-allow-mixed", answer.Text, StringComparison.Ordinal);
        Assert.Null(answer.Media.Single(m => m.Kind == "video").DependencyDescriptorExtensionId);
    }
}
