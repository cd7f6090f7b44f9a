using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// What issue 25 needs from offers: RIDs and simulcast, RTX (FID groups, <c>apt=</c>), the header extension ids and
/// transport-cc feedback. The fixtures are offers Chromium 156 (Debian) created headless:
/// <c>addTransceiver('video', {direction: 'sendonly', sendEncodings: [{rid: 'q', scaleResolutionDownBy: 4}, {rid: 'h',
/// scaleResolutionDownBy: 2}, {rid: 'f'}]})</c> plus a sendonly audio transceiver, and the same without
/// <c>sendEncodings</c> (whose video carries an <c>a=ssrc-group:FID</c>).
/// </summary>
[Trait("Category", "Unit")]
public sealed class SdpSimulcastTests
{
    private static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", name));

    [Fact]
    public void Chromium_simulcast_offer_yields_rids_simulcast_rtx_and_extension_ids()
    {
        Assert.True(SdpParser.TryParse(Fixture("chromium-simulcast-offer.sdp"), out var session, out var error), error);
        var video = session!.Media[0];
        Assert.Equal("video", video.Kind);

        Assert.Equal(["q", "h", "f"], video.Rids.Select(r => r.Id));
        Assert.All(video.Rids, r => Assert.True(r.Send));
        Assert.NotNull(video.Simulcast);
        Assert.Equal(["q", "h", "f"], video.Simulcast!.SendRids);
        Assert.Empty(video.Simulcast.Receive);
        Assert.Equal(["q", "h", "f"], video.SendRids);

        // Simulcast from Chromium names no SSRCs: streams are told apart by RID, RTX by repaired RID.
        Assert.Empty(video.FidPairs);
        var ids = video.ExtensionIds;
        Assert.Equal((byte?)4, ids.TransportWideCc);
        Assert.Equal((byte?)9, ids.Mid);
        Assert.Equal((byte?)10, ids.Rid);
        Assert.Equal((byte?)11, ids.RepairedRid);
        Assert.Equal((byte?)5, ids.PlayoutDelay);
        Assert.Equal((byte?)13, ids.DependencyDescriptor);
        Assert.Null(ids.AbsCaptureTime); // Chromium does not offer it by default

        var vp8 = video.RtpMaps.First(m => m.Is("VP8"));
        Assert.True(vp8.SupportsTransportCc);
        Assert.True(vp8.HasFeedback("nack"));
        Assert.Equal(97, video.RtxPayloadTypeFor(vp8.PayloadType));
        var h264 = video.RtpMaps.First(m => m.Is("H264") && m.FmtpParameters["packetization-mode"] == "1");
        Assert.Equal(h264.PayloadType + 1, video.RtxPayloadTypeFor(h264.PayloadType));
        Assert.Equal(vp8.PayloadType, video.RtpMaps.First(m => m.PayloadType == 97).AssociatedPayloadType);
        Assert.Null(vp8.AssociatedPayloadType);

        var audio = session.Media[1];
        Assert.Empty(audio.Rids);
        Assert.Null(audio.Simulcast);
        Assert.Equal((byte?)4, audio.ExtensionIds.TransportWideCc);
        Assert.True(audio.RtpMaps.First(m => m.Is("opus")).SupportsTransportCc);
    }

    [Fact]
    public void Chromium_single_stream_offer_pairs_media_and_rtx_ssrcs()
    {
        Assert.True(SdpParser.TryParse(Fixture("chromium-video-audio-offer.sdp"), out var session, out var error), error);
        var video = session!.Media[0];
        var pair = Assert.Single(video.FidPairs);
        Assert.Equal((3747165524u, 3163169498u), pair);
        Assert.Equal([3163169498u], video.RtxSsrcs);
        Assert.Empty(video.Rids);
        Assert.Empty(video.SendRids);
    }

    [Fact]
    public void Rid_restrictions_paused_streams_and_recv_direction_parse()
    {
        var offer = Offer(
            "a=rid:lo recv pt=96,97;max-width=320;max-fps=15",
            "a=rid:hi recv",
            "a=rid:up send max-br=500000",
            "a=simulcast:recv lo;~hi send up");
        Assert.True(SdpParser.TryParse(offer, out var session, out var error), error);
        var m = session!.Media[0];
        var lo = m.Rids[0];
        Assert.False(lo.Send);
        Assert.Equal([96, 97], lo.PayloadTypes);
        Assert.Equal("320", lo.Restrictions["max-width"]);
        Assert.Equal("15", lo.Restrictions["max-fps"]);
        Assert.Equal([new SdpSimulcastStream("lo", false), new SdpSimulcastStream("hi", true)], m.Simulcast!.Receive.Select(e => e[0]));
        Assert.Equal(["up"], m.SendRids);
    }

    [Theory]
    [InlineData("a=rid:q", "malformed a=rid")]
    [InlineData("a=rid:q sideways", "malformed a=rid")]
    [InlineData("a=rid:bad!id send", "malformed a=rid")]
    [InlineData("a=rid:waytoolongridnamehere send", "malformed a=rid")]
    [InlineData("a=rid:q send pt=x", "malformed a=rid")]
    [InlineData("a=rid:q send\na=rid:q send", "appears twice")]
    [InlineData("a=rid:q send\na=simulcast:send q;h", "rid 'h' (send) without a matching a=rid")]
    [InlineData("a=rid:q recv\na=simulcast:send q", "rid 'q' (send) without a matching a=rid")]
    [InlineData("a=rid:q send\na=simulcast:sideways q", "malformed or repeated a=simulcast")]
    [InlineData("a=rid:q send\na=simulcast:send q;;", "malformed or repeated a=simulcast")]
    [InlineData("a=rid:q send\na=simulcast:send q\na=simulcast:send q", "malformed or repeated a=simulcast")]
    public void Malformed_rid_and_simulcast_get_a_clear_error(string lines, string expected)
    {
        Assert.False(SdpParser.TryParse(Offer(lines.Split('\n')), out _, out var error));
        Assert.Contains(expected, error);
        Assert.Contains("m-section 0 (video)", error);
    }

    [Fact]
    public void Rid_mid_and_repaired_rid_are_read_from_packets_with_the_offered_ids()
    {
        Assert.True(SdpParser.TryParse(Fixture("chromium-simulcast-offer.sdp"), out var session, out _));
        var ids = session!.Media[0].ExtensionIds;
        var packet = new byte[64];
        var n = RtpHeader.WriteFixed(packet, false, 97, 7, 9000, 0xABCDEF01);
        packet[0] |= 0x10;
        n += RtpExtensions.Write(packet.AsSpan(n), [(ids.Mid!.Value, "0"u8.ToArray()), (ids.RepairedRid!.Value, "h"u8.ToArray()), (ids.TransportWideCc!.Value, [0x01, 0x00])]);
        Assert.True(RtpHeader.TryParse(packet.AsSpan(0, n + 4), out var h));
        Assert.True(RtpExtensions.TryGetSdesItem(packet, h, ids.Mid.Value, out var mid));
        Assert.Equal("0"u8.ToArray(), mid.ToArray());
        Assert.True(RtpExtensions.TryGetSdesItem(packet, h, ids.RepairedRid.Value, out var repaired));
        Assert.Equal("h"u8.ToArray(), repaired.ToArray());
        Assert.False(RtpExtensions.TryGetSdesItem(packet, h, ids.Rid!.Value, out _)); // an RTX packet carries the repaired RID only
        Assert.True(RtpExtensions.TryGetTransportSequence(packet, h, ids.TransportWideCc.Value, out var seq));
        Assert.Equal(256, seq);

        // Trailing NULs (some senders pad the item) are not part of the RID.
        n = RtpHeader.WriteFixed(packet, false, 96, 8, 9000, 0xABCDEF01);
        packet[0] |= 0x10;
        n += RtpExtensions.Write(packet.AsSpan(n), [(ids.Rid.Value, [(byte)'f', 0, 0])]);
        Assert.True(RtpHeader.TryParse(packet.AsSpan(0, n + 4), out h));
        Assert.True(RtpExtensions.TryGetSdesItem(packet, h, ids.Rid.Value, out var rid));
        Assert.Equal("f"u8.ToArray(), rid.ToArray());
    }

    private static string Offer(params string[] videoLines) => string.Join("\r\n",
    [
        "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
        "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
        "a=fingerprint:sha-256 E4:2D:F9:B1:59:C1:F4:87:E8:D2:67:72:3B:5D:05:70:96:85:04:09:EE:D2:64:04:F8:A1:D4:C3:A1:26:AB:54",
        "a=setup:actpass",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97", "a=mid:0", "a=rtpmap:96 VP8/90000", "a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=96",
        .. videoLines, "",
    ]);
}
