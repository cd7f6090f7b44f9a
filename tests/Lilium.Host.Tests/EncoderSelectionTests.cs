using Lilium.Client;
using Lilium.Client.Codecs;

namespace Lilium.Host.Tests;

/// <summary>
/// <c>--encoder</c>'s choice with stand-in openers: which encoder wins given which hardware encoders open, the
/// line shown, the codec each choice sends, and the plain-words checks done before libavcodec is asked.
/// </summary>
[Trait("Category", "Unit")]
public sealed class EncoderSelectionTests
{
    private static readonly VideoEncoderSettings H264 = new("H264", 640, 360, 30, 1000);

    /// <summary>An encoder that only records which name opened it.</summary>
    private sealed class Opened(string name, string codec) : IVideoEncoder
    {
        public string Name { get; } = name;

        public string Codec { get; } = codec;

        public int BitrateKbps => 1000;

        public int Width => 640;

        public int Height => 360;

        public void SetBitrate(int kbps)
        {
        }

        public EncodedVideo Encode(ReadOnlySpan<byte> i420, long frameIndex, bool keyframe) => new([], false);

        public void Dispose()
        {
        }
    }

    /// <summary>Hardware openers where the listed names open and every other one fails with "<c>name broken</c>".</summary>
    private static (Func<string, VideoEncoderSettings, IVideoEncoder> Open, List<string> Tried) Hardware(params string[] working)
    {
        var tried = new List<string>();
        return ((name, settings) =>
        {
            tried.Add(name);
            Assert.Equal("H264", settings.Codec);
            return working.Contains(name) ? new Opened(name, "H264") : throw new EncoderUnavailableException($"{name} broken");
        }, tried);
    }

    private static IVideoEncoder Software(VideoEncoderSettings settings) => new Opened(settings.Codec == "VP8" ? "vp8" : "x264", settings.Codec);

    [Fact]
    public void Auto_takes_the_first_hardware_encoder_that_opens()
    {
        var (open, tried) = Hardware("nvenc", "vaapi", "qsv");
        var choice = VideoEncoders.Select("auto", H264, open, Software);
        Assert.Equal("nvenc", choice.Name);
        Assert.Equal("nvenc", ((Opened)choice.Encoder).Name);
        Assert.Equal(["nvenc"], tried);
        Assert.Empty(choice.Unavailable);
        Assert.Null(choice.Notice);
    }

    [Fact]
    public void Auto_tries_nvenc_then_vaapi_then_qsv_and_says_what_it_skipped()
    {
        var (open, tried) = Hardware("qsv");
        var choice = VideoEncoders.Select("auto", H264, open, Software);
        Assert.Equal("qsv", choice.Name);
        Assert.Equal(["nvenc", "vaapi", "qsv"], tried);
        Assert.Equal(["nvenc: nvenc broken", "vaapi: vaapi broken"], choice.Unavailable);
        Assert.Equal("using qsv (nvenc: nvenc broken; vaapi: vaapi broken)", choice.Notice);
    }

    [Fact]
    public void Auto_falls_back_to_x264_with_one_line_naming_each_reason()
    {
        var (open, tried) = Hardware();
        var choice = VideoEncoders.Select("auto", H264, open, Software);
        Assert.Equal("x264", choice.Name);
        Assert.Equal("x264", ((Opened)choice.Encoder).Name);
        Assert.Equal(["nvenc", "vaapi", "qsv"], tried);
        Assert.Equal("no hardware H.264 encoder (nvenc: nvenc broken; vaapi: vaapi broken; qsv: qsv broken): using x264", choice.Notice);
    }

    [Theory]
    [InlineData("vaapi")]
    [InlineData("NVENC")]
    [InlineData("qsv")]
    public void An_explicit_hardware_encoder_is_the_only_one_tried(string asked)
    {
        var name = asked.ToLowerInvariant();
        var (open, tried) = Hardware(name);
        var choice = VideoEncoders.Select(asked, H264, open, Software);
        Assert.Equal(name, choice.Name);
        Assert.Equal([name], tried);
        Assert.Null(choice.Notice);

        var (broken, triedBroken) = Hardware();
        var fallback = VideoEncoders.Select(asked, H264, broken, Software);
        Assert.Equal("x264", fallback.Name);
        Assert.Equal([name], triedBroken);
        Assert.Equal($"{name}: {name} broken: using x264 instead", fallback.Notice);
    }

    [Fact]
    public void Software_choices_never_touch_the_hardware()
    {
        var (open, tried) = Hardware("nvenc", "vaapi", "qsv");
        var x264 = VideoEncoders.Select("x264", H264, open, Software);
        Assert.Equal(("x264", "H264"), (x264.Name, x264.Encoder.Codec));
        var vp8 = VideoEncoders.Select("vp8", H264, open, Software);
        Assert.Equal(("vp8", "VP8"), (vp8.Name, vp8.Encoder.Codec));
        var autoVp8 = VideoEncoders.Select("auto", H264 with { Codec = "VP8" }, open, Software);
        Assert.Equal(("vp8", "VP8"), (autoVp8.Name, autoVp8.Encoder.Codec));
        Assert.Empty(tried);
        Assert.Null(x264.Notice);
    }

    [Fact]
    public void Errors_other_than_unavailable_are_not_swallowed()
    {
        Assert.Throws<InvalidOperationException>(() =>
            VideoEncoders.Select("auto", H264, (_, _) => throw new InvalidOperationException("bug"), Software));
    }

    [Theory]
    [InlineData("auto", "h264", "H264")]
    [InlineData("auto", "vp8", "VP8")]
    [InlineData("vp8", "h264", "VP8")]
    [InlineData("x264", "H264", "H264")]
    [InlineData("nvenc", "h264", "H264")]
    [InlineData("VAAPI", "h264", "H264")]
    [InlineData("qsv", "h264", "H264")]
    public void Each_encoder_sends_its_codec(string encoder, string codec, string expected) =>
        Assert.Equal(expected, VideoEncoders.CodecFor(encoder, codec));

    [Theory]
    [InlineData("nvenc", "vp8", "--encoder nvenc makes H.264, but --codec vp8 asks for VP8.")]
    [InlineData("x264", "vp8", "--encoder x264 makes H.264, but --codec vp8 asks for VP8.")]
    [InlineData("cuda", "h264", "--encoder 'cuda': auto, x264, nvenc, vaapi, qsv or vp8.")]
    [InlineData("auto", "av1", "--codec 'av1': vp8 or h264.")]
    public void Contradictions_and_unknown_names_get_a_sentence(string encoder, string codec, string message) =>
        Assert.Equal(message, Assert.Throws<LiliumException>(() => VideoEncoders.CodecFor(encoder, codec)).Message);

    [Fact]
    public void Prechecks_name_what_is_missing()
    {
        static bool None(string _) => false;
        static bool All(string _) => true;
        Assert.Equal("no NVIDIA driver (libcuda.so.1 not found)", VideoEncoders.Precheck("nvenc", All, None));
        Assert.Equal("the NVIDIA driver has no NVENC library (libnvidia-encode.so.1 not found)",
            VideoEncoders.Precheck("nvenc", All, lib => lib == "libcuda.so.1"));
        Assert.Null(VideoEncoders.Precheck("nvenc", None, All));
        Assert.Equal("no /dev/dri/renderD128", VideoEncoders.Precheck("vaapi", None, All));
        Assert.Equal("no /dev/dri/renderD128 (Quick Sync runs on the Intel GPU's render node)", VideoEncoders.Precheck("qsv", None, All));
        Assert.Null(VideoEncoders.Precheck("vaapi", path => path == "/dev/dri/renderD128", None));
        Assert.Null(VideoEncoders.Precheck("qsv", path => path == "/dev/dri/renderD128", None));
    }
}
