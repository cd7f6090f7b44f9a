namespace Lilium.Client.Codecs;

/// <summary>
/// What every in-process encoder shares: its size and codec, the bitrate asked for from another thread and applied on
/// the encoding thread before the next frame, and the frame-size check. A derived encoder supplies the codec calls.
/// </summary>
internal abstract class RealtimeVideoEncoder(VideoEncoderSettings settings) : IVideoEncoder
{
    private readonly EncoderBitrate _bitrate = new(settings.BitrateKbps);

    public abstract string Codec { get; }

    public int BitrateKbps => _bitrate.Kbps;

    public int Width { get; } = settings.Width;

    public int Height { get; } = settings.Height;

    public void SetBitrate(int kbps) => _bitrate.Request(kbps);

    public EncodedVideo Encode(ReadOnlySpan<byte> i420, long frameIndex, bool keyframe)
    {
        if (i420.Length < I420Converter.BufferSize(Width, Height))
        {
            throw new ArgumentException("The frame is smaller than width × height × 1.5.", nameof(i420));
        }

        if (_bitrate.TryTakeChange(out var kbps))
        {
            keyframe |= ApplyBitrate(kbps);
            _bitrate.Commit(kbps);
        }

        return EncodeFrame(i420, frameIndex, keyframe);
    }

    /// <summary>On the encoding thread: the codec runs at <paramref name="kbps"/> from the next frame; true if that restarted it (the next frame must be a keyframe).</summary>
    protected abstract bool ApplyBitrate(int kbps);

    /// <summary>Encodes one I420 frame of <see cref="Width"/> × <see cref="Height"/> (checked); see <see cref="IVideoEncoder.Encode"/>.</summary>
    protected abstract EncodedVideo EncodeFrame(ReadOnlySpan<byte> i420, long frameIndex, bool keyframe);

    public abstract void Dispose();
}
