using Lilium.Relay.Media;
using Lilium.WebRtc.Rtp;

namespace Lilium.Relay.Tests;

/// <summary>The relay's own packet logic: keyframe detection and the per-subscriber RTP rewrite.</summary>
[Trait("Category", "Unit")]
public sealed class SfuPacketTests
{
    [Theory]
    // VP8 (RFC 7741): descriptor byte S=1 PID=0, then payload header with P=0 (key frame)
    [InlineData("VP8", "10 00 00 00", true)]
    [InlineData("VP8", "10 01 00 00", false)]         // P=1: inter frame
    [InlineData("VP8", "00 00 00 00", false)]         // S=0: not the start of a partition
    [InlineData("VP8", "90 80 81 23 00", true)]       // X=1, I=1, 15-bit picture id, then P=0
    [InlineData("VP8", "90 80 81 23 01", false)]
    [InlineData("VP8", "90 80", false)]               // truncated
    // H.264 (RFC 6184): IDR, SPS, STAP-A holding SPS, FU-A start of an IDR, non-IDR slice, FU-A middle
    [InlineData("H264", "65 88 84", true)]
    [InlineData("H264", "67 42 00 1f", true)]
    [InlineData("H264", "78 00 02 67 42 00 02 68 ce", true)]
    [InlineData("H264", "7c 85 88", true)]
    [InlineData("H264", "41 9a 00", false)]
    [InlineData("H264", "7c 05 88", false)]
    [InlineData("H264", "78 00 09 67", false)]        // STAP-A with an overlong size
    [InlineData("opus", "fc ff fe", true)]            // audio: every packet starts cleanly
    public void Recognises_the_first_packet_of_a_keyframe(string codec, string hex, bool expected)
    {
        Assert.Equal(expected, Keyframes.StartsKeyframe(codec, Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal))));
    }

    [Fact]
    public void Rewrite_replaces_identity_keeps_csrcs_swaps_extensions_for_mid_and_drops_padding()
    {
        // V=2 P=1 X=1 CC=1 | M=1 PT=97 | seq 0x1234 | ts 0x01020304 | ssrc 0xAABBCCDD | csrc 0x11223344
        // | one-byte extension: id 3 len 2 "xyz" + pad | payload "PAYLOAD" | padding 00 00 03
        var source = Convert.FromHexString(
            "B1E1123401020304AABBCCDD11223344" + "BEDE0001" + "32787A7A" + "5041594C4F4144" + "000003");
        Assert.True(RtpHeader.TryParse(source, out var header));
        var target = new byte[100];

        var length = RtpRewriter.Rewrite(source, header, target, 111, 7, 9000, 0xCAFEBABE, 4, "v0"u8);

        Assert.True(RtpHeader.TryParse(target.AsSpan(0, length), out var rewritten));
        Assert.Equal((true, (byte)111, (ushort)7, 9000u, 0xCAFEBABEu, 1, false), (rewritten.Marker, rewritten.PayloadType, rewritten.SequenceNumber, rewritten.Timestamp, rewritten.Ssrc, rewritten.CsrcCount, rewritten.Padding));
        Assert.Equal(Convert.FromHexString("11223344"), target.AsSpan(12, 4).ToArray());
        Assert.True(RtpExtensions.TryGet(target.AsSpan(0, length), rewritten, 4, out var mid));
        Assert.Equal("v0"u8.ToArray(), mid.ToArray());
        Assert.False(RtpExtensions.TryGet(target.AsSpan(0, length), rewritten, 3, out _));
        Assert.Equal("PAYLOAD"u8.ToArray(), target.AsSpan(rewritten.HeaderLength, rewritten.PayloadLength).ToArray());
        Assert.Equal(length, rewritten.HeaderLength + rewritten.PayloadLength);
    }

    [Fact]
    public void Rewrite_without_mid_writes_no_extension()
    {
        var source = Convert.FromHexString("80601234010203040000000148656C6C6F");
        Assert.True(RtpHeader.TryParse(source, out var header));
        var target = new byte[64];

        var length = RtpRewriter.Rewrite(source, header, target, 96, 1, 2, 3, 0, default);

        Assert.Equal(source.Length, length);
        Assert.True(RtpHeader.TryParse(target.AsSpan(0, length), out var rewritten));
        Assert.False(rewritten.HasExtension);
        Assert.Equal("Hello"u8.ToArray(), target.AsSpan(12, 5).ToArray());
    }

    [Fact]
    public void Packet_cache_returns_only_what_it_still_holds()
    {
        var cache = new PacketCache();
        cache.Store(10, [1, 2, 3]);
        cache.Store((ushort)(10 + PacketCache.Capacity), [4]);

        Assert.True(cache.Get(10).IsEmpty); // overwritten by a packet 1024 later
        Assert.Equal([4], cache.Get((ushort)(10 + PacketCache.Capacity)).ToArray());
        Assert.True(cache.Get(11).IsEmpty);
    }
}
