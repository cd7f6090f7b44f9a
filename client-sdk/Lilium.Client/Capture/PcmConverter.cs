namespace Lilium.Client.Capture;

/// <summary>
/// Turns an OS mix format (32-bit float or 16-bit integer, any rate, one or more channels) into the
/// 48 kHz stereo s16le frames <see cref="IAudioSource"/> delivers: the first two channels are kept (front
/// left and right in every standard channel order; mono is doubled), the rate is changed by linear
/// interpolation that carries over between pushes, and samples queue in a one-second ring (the oldest
/// are dropped if nobody reads). Allocation-free after construction; not thread-safe.
/// </summary>
internal sealed class PcmConverter
{
    private const int OutputRate = 48_000;
    private readonly int _channels;
    private readonly bool _float;
    private readonly double _step;
    private readonly short[] _ring = new short[OutputRate * 2];
    private int _head;
    private int _count;
    private double _position;
    private float _previousLeft;
    private float _previousRight;

    public PcmConverter(int sampleRate, int channels, bool isFloat, int bitsPerSample)
    {
        if (sampleRate is < 8_000 or > 384_000 || channels is < 1 or > 32)
        {
            throw new LiliumException($"Unsupported audio format: {sampleRate} Hz, {channels} channels.");
        }

        if (isFloat ? bitsPerSample != 32 : bitsPerSample != 16)
        {
            throw new LiliumException($"Unsupported audio format: {(isFloat ? "float" : "integer")} {bitsPerSample}-bit samples (32-bit float or 16-bit integer).");
        }

        _channels = channels;
        _float = isFloat;
        _step = (double)sampleRate / OutputRate;
    }

    /// <summary>Bytes one input frame (all channels of one sample time) takes.</summary>
    public int InputFrameBytes => _channels * (_float ? 4 : 2);

    /// <summary>Whole 20 ms output frames ready.</summary>
    public int FramesReady => _count / (AudioCapture.FrameBytes / 2);

    /// <summary>Converts <paramref name="frames"/> input frames; <paramref name="silent"/> treats them as zeros (WASAPI's silent flag).</summary>
    public void Push(ReadOnlySpan<byte> input, int frames, bool silent)
    {
        if (!silent && input.Length < frames * InputFrameBytes)
        {
            throw new ArgumentException("The buffer is shorter than its frame count.", nameof(input));
        }

        while (_position <= frames - 1)
        {
            var i = (int)Math.Floor(_position);
            var f = (float)(_position - i);
            var (l0, r0) = i < 0 ? (_previousLeft, _previousRight) : Read(input, i, silent);
            var (l1, r1) = f > 0 ? Read(input, i + 1, silent) : (l0, r0);
            Enqueue(l0 + ((l1 - l0) * f), r0 + ((r1 - r0) * f));
            _position += _step;
        }

        if (frames > 0)
        {
            (_previousLeft, _previousRight) = Read(input, frames - 1, silent);
            _position -= frames;
        }
    }

    /// <summary>Takes one 20 ms frame (3,840 bytes of s16le stereo) if one is ready.</summary>
    public bool TryRead(Span<byte> frame)
    {
        const int Samples = AudioCapture.FrameBytes / 2;
        if (_count < Samples)
        {
            return false;
        }

        for (var s = 0; s < Samples; s++)
        {
            var v = _ring[(_head + s) % _ring.Length];
            frame[2 * s] = (byte)v;
            frame[(2 * s) + 1] = (byte)(v >> 8);
        }

        _head = (_head + Samples) % _ring.Length;
        _count -= Samples;
        return true;
    }

    private (float Left, float Right) Read(ReadOnlySpan<byte> input, int frame, bool silent)
    {
        if (silent)
        {
            return (0, 0);
        }

        var o = frame * InputFrameBytes;
        if (_float)
        {
            var l = BitConverter.ToSingle(input[o..]);
            return (l, _channels > 1 ? BitConverter.ToSingle(input[(o + 4)..]) : l);
        }

        var li = BitConverter.ToInt16(input[o..]) / 32767f;
        return (li, _channels > 1 ? BitConverter.ToInt16(input[(o + 2)..]) / 32767f : li);
    }

    private void Enqueue(float left, float right)
    {
        if (_count + 2 > _ring.Length)
        {
            _head = (_head + 2) % _ring.Length; // a second behind: drop the oldest
            _count -= 2;
        }

        var tail = (_head + _count) % _ring.Length;
        _ring[tail] = ToShort(left);
        _ring[(tail + 1) % _ring.Length] = ToShort(right);
        _count += 2;
    }

    private static short ToShort(float v) => (short)MathF.Round(Math.Clamp(v, -1f, 1f) * 32767f);
}
