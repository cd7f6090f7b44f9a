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
    /// <summary>Resolves <c>720p</c>, <c>1080p</c>, <c>1080p60</c> or <c>native</c> against the captured size.</summary>
    public static (int Width, int Height, int Fps, int BitrateKbps) Resolve(string preset, int sourceWidth, int sourceHeight) => preset.ToLowerInvariant() switch
    {
        "720p" => Fit(sourceWidth, sourceHeight, 1280, 720, 30, 2500),
        "1080p" => Fit(sourceWidth, sourceHeight, 1920, 1080, 30, 4500),
        "1080p60" => Fit(sourceWidth, sourceHeight, 1920, 1080, 60, 7000),
        "native" => (sourceWidth & ~1, sourceHeight & ~1, 30, Math.Clamp(sourceWidth * sourceHeight * 30 / 14_000, 500, 20_000)),
        _ => throw new LiliumException($"Unknown preset '{preset}' (720p, 1080p, 1080p60, native)."),
    };

    // Only the frame rate and bitrate are applied today: the encoder takes the captured size as is
    // (scaling down is not implemented; --monitor or --region choose a smaller area). The size is
    // returned for when it is.
    private static (int, int, int, int) Fit(int sw, int sh, int w, int h, int fps, int kbps) =>
        (Math.Min(sw, w) & ~1, Math.Min(sh, h) & ~1, fps, kbps);
}
