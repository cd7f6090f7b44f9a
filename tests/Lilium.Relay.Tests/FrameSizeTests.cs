using Lilium.Relay.Media;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Tests;

/// <summary>
/// The picture size read from a keyframe's first RTP packet (<see cref="FrameSize"/>), on real encoder output: the
/// frames below are the first bytes of one-frame encodes of ffmpeg's <c>testsrc</c> by libvpx (VP8 and VP9, from IVF)
/// and libx264 (the SPS NAL from Annex B), behind the RTP payload descriptors Chromium writes (RFC 7741, RFC 9628) or
/// in the aggregation and fragmentation units of RFC 6184. Then the layer cap a viewer's box sets from those sizes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class FrameSizeTests
{
    // ffmpeg -f lavfi -i testsrc=size=WxH -frames:v 1 -c:v libvpx -f ivf: the frame after the 32+12-octet IVF headers.
    private const string Vp8Key320x180 = "3051009d012a4001b4000047088585888584880202030725";
    private const string Vp8Key1366x768 = "f0a5019d012a560500030007088585888584880203bbad83";

    // … -c:v libvpx-vp9 with -pix_fmt yuv420p (profile 0), gbrp (profile 1, RGB), yuv444p (profile 1, whose
    // color_config carries subsampling bits) and yuv420p10le (profile 2, with its bit-depth bit).
    private const string Vp9Key320x180 = "824983420013f00b360c38241c184a0005e07fcdfa3c771f";
    private const string Vp9RgbKey1366x768 = "a2498342e055502ff60438241c184a1804607fd9fa3e87e7";
    private const string Vp9Key444At641x361 = "a249834200050002d0c107048383094200e97fd1fa3e8fef";
    private const string Vp9TenBitKey1280x720 = "924983420027f8167b041c120e0c2c0c01f07fd1f9bf5ff1";

    // … -c:v libx264 -pix_fmt yuv420p -profile:v high | baseline | high444 (-pix_fmt yuv444p): the SPS NAL units.
    private const string SpsHigh320x180 = "6764000dacd941419f9f0110000003001000000303c0f142996000";
    private const string SpsHigh1366x768 = "67640020acd94056061e6f0110000003001000000303c0f183196000";
    private const string SpsBaseline1920x1080 = "6742c028d900780227e5c044000003000400000300f03c60c92000";
    private const string SpsHigh444At640x360 = "67f4001e919b281405ff138088000003000800000301e078b16cb000";

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    private static void AssertSize(string codec, byte[] payload, int width, int height)
    {
        Assert.True(FrameSize.TryParse(codec, payload, out var w, out var h), $"no size from {Convert.ToHexString(payload)}");
        Assert.Equal((width, height), (w, h));
        Assert.True(Keyframes.StartsKeyframe(codec, payload)); // the same packet the forwarder takes for a keyframe start
    }

    [Theory]
    [InlineData("10", Vp8Key320x180, 320, 180)]                  // S=1, no extension
    [InlineData("90 e0 80 01 00 20", Vp8Key1366x768, 1366, 768)] // X: I (15-bit picture id), L, T — as Chromium sends
    [InlineData("90 80 05", Vp8Key320x180, 320, 180)]           // X: I with a 7-bit picture id
    public void Vp8_keyframe_header_gives_the_size(string descriptor, string frame, int width, int height)
    {
        AssertSize("VP8", Hex(descriptor + frame), width, height);
    }

    [Theory]
    [InlineData("a8 80 01 00 05", Vp9Key320x180, 320, 180)]            // I, L (non-flexible: TL0PICIDX), B
    [InlineData("08", Vp9RgbKey1366x768, 1366, 768)]                   // B only
    [InlineData("b8 05 00", Vp9Key444At641x361, 641, 361)]             // flexible mode, profile 1 (4:4:4)
    [InlineData("88 05", Vp9TenBitKey1280x720, 1280, 720)]             // I (7-bit picture id), profile 2
    [InlineData("aa 80 01 00 05 10 01 40 00 b4", Vp9Key320x180, 320, 180)] // V: the scalability structure's Y sizes
    [InlineData("0a 08 02 10 24 01", Vp9RgbKey1366x768, 1366, 768)]    // V without Y: G with two pictures (0 and 1 reference)
    public void Vp9_scalability_structure_or_uncompressed_header_gives_the_size(string descriptor, string frame, int width, int height)
    {
        AssertSize("VP9", Hex(descriptor + frame), width, height);
    }

    [Theory]
    [InlineData(SpsHigh320x180, 320, 180)]
    [InlineData(SpsHigh1366x768, 1366, 768)]             // cropped from 1376 × 768
    [InlineData(SpsBaseline1920x1080, 1920, 1080)]       // cropped from 1920 × 1088
    [InlineData(SpsHigh444At640x360, 640, 360)]          // profile 244, chroma_format_idc 3
    public void H264_sps_gives_the_size_alone_in_a_stap_a_and_in_a_fu_a_start(string sps, int width, int height)
    {
        var nal = Hex(sps);
        AssertSize("H264", nal, width, height);

        // STAP-A (RFC 6184 §5.7.1): the SPS after another NAL unit (an AUD), each behind its 16-bit size.
        byte[] aud = [0x09, 0xF0];
        var stap = new byte[] { 0x78, 0, (byte)aud.Length }.Concat(aud).Concat(new byte[] { 0, (byte)nal.Length }).Concat(nal).ToArray();
        AssertSize("H264", stap, width, height);

        // FU-A start (§5.8): FU indicator (type 28, the NAL's NRI), FU header S=1 with the type 7, then the rest.
        var fu = new byte[] { (byte)((nal[0] & 0x60) | 28), (byte)(0x80 | 7) }.Concat(nal[1..]).ToArray();
        AssertSize("H264", fu, width, height);
    }

    [Theory]
    [InlineData("VP8", "10 " + "3151009d012a4001b400")]        // P=1: an interframe has no size
    [InlineData("VP8", "00 " + Vp8Key320x180)]                   // S=0: not the start of the frame
    [InlineData("VP8", "10 3051009d012b4001b400")]              // a wrong start code
    [InlineData("VP8", "10 3051009d012a4001")]                  // truncated before the height
    [InlineData("VP8", "10 3051009d012a00000000")]              // 0 × 0
    [InlineData("VP9", "48 " + Vp9Key320x180)]                   // P=1
    [InlineData("VP9", "08 86498342e013f00b3610")]              // frame_type 1: an inter frame
    [InlineData("VP9", "08 88")]                                // show_existing_frame
    [InlineData("VP9", "08 824983430013f00b360c")]              // a wrong sync code
    [InlineData("VP9", "08 824983420013f0")]                    // truncated in the frame size
    [InlineData("VP9", "0a 10 01 40")]                          // SS announces a size it does not carry
    [InlineData("VP9", "0a 08 05 10")]                          // G announces five pictures, one follows
    [InlineData("VP9", "28 02 " + Vp9Key320x180)]               // SID 1: not the base spatial layer
    [InlineData("H264", "65 88 84 00")]                         // an IDR slice, no SPS
    [InlineData("H264", "67 64 00 0d")]                         // an SPS cut short
    [InlineData("H264", "78 00 10 67 64")]                      // STAP-A announcing more than it holds
    [InlineData("H264", "7c 07 64 00 0d")]                      // FU-A middle fragment (S=0)
    [InlineData("H264", "67 64 00 0d 00 00 00 00 00 00 00 00")] // exp-Golomb run past the end
    [InlineData("AV1", "18 0a 0b 00 00 00 24 c4")]              // AV1 is not read
    [InlineData("opus", "fc ff fe")]
    public void No_size_from_what_is_not_a_complete_keyframe_header(string codec, string hex)
    {
        Assert.False(FrameSize.TryParse(codec, Hex(hex), out var width, out var height));
        Assert.Equal((0, 0), (width, height));
    }

    [Fact]
    public void Hostile_bytes_never_throw()
    {
        var random = new Random(25);
        var buffer = new byte[96];
        string[] codecs = ["VP8", "VP9", "H264"];
        for (var i = 0; i < 30_000; i++)
        {
            var length = random.Next(0, buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            var codec = codecs[i % codecs.Length];
            if (i % 4 == 0 && length > 0)
            {
                buffer[0] = codec switch { "VP8" => 0x10, "VP9" => 0x0A, _ => 0x67 }; // past the first check, into the parser
            }

            if (FrameSize.TryParse(codec, buffer.AsSpan(0, length), out var width, out var height))
            {
                Assert.InRange(width, 1, FrameSize.MaxSide);
                Assert.InRange(height, 1, FrameSize.MaxSide);
            }
        }

        // Emulation prevention bytes inside an SPS are removed before the fields are read.
        Assert.True(FrameSize.TryParse("H264", Hex(SpsHigh1366x768), out _, out _));
    }

    private static readonly SdpNegotiatedMedia Video = new("0", "video", new SdpRtpMap(96, "VP8", 90000, 1))
    {
        Rids = ["q", "h", "f"],
        RidExtensionId = 4,
        RepairedRidExtensionId = 5,
        LocalSsrc = 0xABCD,
    };

    [Theory]
    [InlineData(0, 0, int.MaxValue)]     // no box: no cap
    [InlineData(1280, 720, 2)]
    [InlineData(1281, 0, int.MaxValue)]  // wider than every layer: no cap (the top layer is the best there is)
    [InlineData(640, 360, 1)]
    [InlineData(641, 360, 1)]            // the height reaches the box: the picture fitted into it is 640 × 360
    [InlineData(641, 361, 2)]
    [InlineData(500, 0, 1)]              // only a width: the height is open
    [InlineData(0, 100, 0)]
    [InlineData(1, 1, 0)]
    public void A_box_caps_the_layer_at_the_lowest_that_covers_it(int maxWidth, int maxHeight, int expected)
    {
        var layers = SimulcastSource.StreamsFor(Video, 0).ToArray();
        (layers[0].Width, layers[0].Height) = (320, 180);
        (layers[1].Width, layers[1].Height) = (640, 360);
        (layers[2].Width, layers[2].Height) = (1280, 720);
        var hint = new ViewerVideoHint(false, maxWidth, maxHeight);
        Assert.Equal(expected, hint.MaxLayer(layers[0].Simulcast!, [100_000, 500_000, 1_500_000]));
    }

    [Fact]
    public void Layers_of_unknown_size_or_not_sending_never_lower_the_cap()
    {
        var layers = SimulcastSource.StreamsFor(Video, 0).ToArray();
        var source = layers[0].Simulcast!;
        var hint = new ViewerVideoHint(false, 320, 180);
        Assert.Equal(int.MaxValue, hint.MaxLayer(source, [100_000, 500_000, 1_500_000])); // no keyframe seen yet

        (layers[1].Width, layers[1].Height) = (640, 360);
        Assert.Equal(1, hint.MaxLayer(source, [100_000, 500_000, 1_500_000])); // the low layer's size unknown: passed over

        (layers[0].Width, layers[0].Height) = (320, 180);
        Assert.Equal(0, hint.MaxLayer(source, [100_000, 500_000, 1_500_000]));
        Assert.Equal(1, hint.MaxLayer(source, [0, 500_000, 1_500_000])); // the low layer stopped: the next that covers

        // The selector takes the cap under the estimate: a wide estimate is held to layer 1, a narrow one goes lower.
        var selector = new LayerSelector();
        Assert.Equal(1, selector.Select(0, 10_000_000, [100_000, 500_000, 1_500_000], new ViewerVideoHint(false, 640, 360).MaxLayer(source, [100_000, 500_000, 1_500_000])));
        Assert.Equal(0, selector.Select(100, 200_000, [100_000, 500_000, 1_500_000], 1));
    }
}
