namespace Lilium.Client.Codecs;

/// <summary>
/// A realtime video encoder fed I420 frames. Keyframes only when asked (the first frame, then on a
/// PLI/FIR from the relay): there is no periodic keyframe interval. Not thread-safe: one encoding
/// thread calls <see cref="Encode"/>; <see cref="SetBitrate"/> may come from another thread and is
/// applied before the next frame.
/// </summary>
public interface IVideoEncoder : IDisposable
{
    /// <summary>The SDP encoding name: <c>VP8</c> or <c>H264</c>.</summary>
    string Codec { get; }

    /// <summary>The target bitrate in kbit/s now in force.</summary>
    int BitrateKbps { get; }

    /// <summary>Encoded width in pixels (the size <see cref="Encode"/> expects).</summary>
    int Width { get; }

    /// <summary>Encoded height in pixels.</summary>
    int Height { get; }

    /// <summary>Asks for a new target bitrate (kbit/s), clamped to the encoder's range; applied before the next frame.</summary>
    void SetBitrate(int kbps);

    /// <summary>
    /// Encodes one I420 frame (Y, U, V planes packed as <see cref="I420Converter.BufferSize"/>). Returns the
    /// encoded frame — VP8 as an RFC 6386 frame, H.264 as an Annex B access unit — valid until the next call;
    /// empty if the encoder dropped the frame.
    /// </summary>
    EncodedVideo Encode(ReadOnlySpan<byte> i420, long frameIndex, bool keyframe);
}

/// <summary>One encoded frame; <see cref="Data"/> points into the encoder's buffer.</summary>
public readonly ref struct EncodedVideo(ReadOnlySpan<byte> data, bool isKeyframe)
{
    /// <summary>The bitstream.</summary>
    public ReadOnlySpan<byte> Data { get; } = data;

    /// <summary>True for a keyframe (VP8 key frame, H.264 IDR).</summary>
    public bool IsKeyframe { get; } = isKeyframe;
}

/// <summary>Video codec choice and its settings.</summary>
/// <param name="Codec"><c>VP8</c> or <c>H264</c>.</param>
/// <param name="Width">Encoded width (even).</param>
/// <param name="Height">Encoded height (even).</param>
/// <param name="Fps">Frames per second the host captures at.</param>
/// <param name="BitrateKbps">Initial target bitrate in kbit/s.</param>
public sealed record VideoEncoderSettings(string Codec, int Width, int Height, int Fps, int BitrateKbps)
{
    /// <summary>Opens the encoder (libvpx or libx264 through P/Invoke).</summary>
    public IVideoEncoder Open() => Codec.ToUpperInvariant() switch
    {
        "VP8" => new Vp8Encoder(this),
        "H264" => new X264Encoder(this),
        _ => throw new LiliumException($"Unknown codec '{Codec}' (VP8 or H264)."),
    };
}

/// <summary>The named quality presets of <c>lilium host --preset</c>.</summary>
public static class VideoPresets
{
    /// <summary>
    /// Resolves <c>720p</c>, <c>1080p</c>, <c>1080p60</c> or <c>native</c> against the captured size: the
    /// encoded size is the captured picture shrunk (never enlarged) to fit the preset's box with its aspect
    /// ratio kept and even dimensions; <c>native</c> keeps the captured size.
    /// </summary>
    public static (int Width, int Height, int Fps, int BitrateKbps) Resolve(string preset, int sourceWidth, int sourceHeight) => preset.ToLowerInvariant() switch
    {
        "720p" => Fit(sourceWidth, sourceHeight, 1280, 720, 30, 2500),
        "1080p" => Fit(sourceWidth, sourceHeight, 1920, 1080, 30, 4500),
        "1080p60" => Fit(sourceWidth, sourceHeight, 1920, 1080, 60, 7000),
        "native" => (sourceWidth & ~1, sourceHeight & ~1, 30, Math.Clamp(sourceWidth * sourceHeight * 30 / 14_000, 500, 20_000)),
        _ => throw new LiliumException($"Unknown preset '{preset}' (720p, 1080p, 1080p60, native)."),
    };

    /// <summary>The encoder settings for a preset, with <paramref name="fps"/> and <paramref name="bitrateKbps"/> overriding the preset's when given.</summary>
    public static VideoEncoderSettings Settings(string preset, string codec, int sourceWidth, int sourceHeight, int? fps = null, int? bitrateKbps = null)
    {
        var (w, h, presetFps, kbps) = Resolve(preset, sourceWidth, sourceHeight);
        return new VideoEncoderSettings(codec, w, h, fps ?? presetFps, bitrateKbps ?? kbps);
    }

    private static (int, int, int, int) Fit(int sw, int sh, int w, int h, int fps, int kbps)
    {
        if ((long)sw * h <= (long)sh * w)
        {
            // Height-bound (or exactly the box's shape): the height is the preset's (or the source's, if smaller).
            var height = Math.Min(sh, h);
            var width = (int)Math.Round((double)sw * height / sh);
            return (Math.Min(sw, width) & ~1, height & ~1, fps, kbps);
        }

        var fitWidth = Math.Min(sw, w);
        var fitHeight = (int)Math.Round((double)sh * fitWidth / sw);
        return (fitWidth & ~1, Math.Min(sh, fitHeight) & ~1, fps, kbps);
    }
}
