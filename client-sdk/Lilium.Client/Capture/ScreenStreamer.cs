using System.Diagnostics;
using Lilium.Client.Codecs;
using Lilium.Client.Media;

namespace Lilium.Client.Capture;

/// <summary>
/// The host's video loop on its own thread: at each frame time it grabs the screen, converts BGRA
/// to I420, shrinks it to the encoder's size when that is smaller (<see cref="I420Scaler"/>), encodes (a keyframe only for the first frame and when the relay sends PLI/FIR) and
/// hands the frame to the publisher, which packetizes and sends it before returning. The target
/// bitrate follows the relay's REMB when it sends one, never above the configured bitrate.
/// </summary>
public sealed class ScreenStreamer : IDisposable
{
    private const int LatencyWindow = 4096;

    private readonly IScreenSource _source;
    private readonly IVideoEncoder _encoder;
    private readonly IMediaPublisher _publisher;
    private readonly int _fps;
    private readonly int _maxBitrate;
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _i420;
    private readonly byte[]? _captured;
    private readonly I420Scaler? _scaler;
    private readonly double[] _latencies = new double[LatencyWindow];
    private readonly Lock _statsLock = new();
    private int _keyframeRequested = 1;
    private long _frames;
    private long _keyframes;
    private long _latencyCount;
    private Exception? _failure;

    /// <summary>Wires a source, an encoder and a publisher; call <see cref="Start"/> to run.</summary>
    public ScreenStreamer(IScreenSource source, IVideoEncoder encoder, IMediaPublisher publisher, int fps)
    {
        if (!string.Equals(encoder.Codec, publisher.VideoCodec, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"The encoder makes {encoder.Codec} but the publisher negotiated {publisher.VideoCodec}.");
        }

        _source = source;
        _encoder = encoder;
        _publisher = publisher;
        _fps = Math.Clamp(fps, 1, 120);
        _maxBitrate = encoder.BitrateKbps;
        if (encoder.Width > source.Width || encoder.Height > source.Height)
        {
            throw new ArgumentException($"The encoder's {encoder.Width}x{encoder.Height} is larger than the captured {source.Width}x{source.Height}; the host does not enlarge.");
        }

        _i420 = new byte[I420Converter.BufferSize(encoder.Width, encoder.Height)];
        if (encoder.Width != source.Width || encoder.Height != source.Height)
        {
            _captured = new byte[I420Converter.BufferSize(source.Width, source.Height)];
            _scaler = new I420Scaler(source.Width, source.Height, encoder.Width, encoder.Height);
        }

        publisher.KeyframeRequested += RequestKeyframe;
        publisher.BitrateEstimated += OnBitrateEstimate;
        _thread = new Thread(Run) { IsBackground = true, Name = "lilium-screen", Priority = ThreadPriority.AboveNormal };
    }

    /// <summary>Frames encoded and sent.</summary>
    public long FramesSent => Interlocked.Read(ref _frames);

    /// <summary>Keyframes sent (the first frame and one per PLI/FIR burst).</summary>
    public long KeyframesSent => Interlocked.Read(ref _keyframes);

    /// <summary>The encoder's target bitrate now (kbit/s).</summary>
    public int BitrateKbps => _encoder.BitrateKbps;

    /// <summary>Why the loop stopped, if it failed (the display closed, the encoder refused a frame).</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>Starts the capture thread.</summary>
    public void Start() => _thread.Start();

    /// <summary>Makes the next frame a keyframe (called on PLI/FIR; several requests before it coalesce).</summary>
    public void RequestKeyframe() => Volatile.Write(ref _keyframeRequested, 1);

    /// <summary>Capture-to-send times (ms, grab to the frame's last packet on the socket) of the recent frames.</summary>
    public double[] LatencySamples()
    {
        lock (_statsLock)
        {
            var n = (int)Math.Min(_latencyCount, LatencyWindow);
            return _latencies.AsSpan(0, n).ToArray();
        }
    }

    /// <summary>Forgets the latency samples so far (e.g. after a warm-up).</summary>
    public void ResetLatencySamples()
    {
        lock (_statsLock)
        {
            _latencyCount = 0;
        }
    }

    private void OnBitrateEstimate(ulong bitsPerSecond)
    {
        var kbps = (int)Math.Min(bitsPerSecond / 1000, int.MaxValue);
        _encoder.SetBitrate(Math.Min(_maxBitrate, Math.Max(kbps, 150)));
    }

    private void Run()
    {
        var interval = Stopwatch.Frequency / _fps;
        var next = Stopwatch.GetTimestamp();
        var index = 0L;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var now = Stopwatch.GetTimestamp();
                if (now < next)
                {
                    var ms = (int)((next - now) * 1000 / Stopwatch.Frequency);
                    if (ms > 1)
                    {
                        Thread.Sleep(ms - 1);
                    }
                    else
                    {
                        Thread.Yield();
                    }

                    continue;
                }

                next += interval;
                if (Stopwatch.GetTimestamp() - next > interval * 2)
                {
                    next = Stopwatch.GetTimestamp() + interval; // fell behind: drop, don't burst
                }

                var frame = _source.Capture();
                if (_scaler is null)
                {
                    I420Converter.Convert(frame.Pixels, frame.Stride, frame.Width, frame.Height, _i420);
                }
                else
                {
                    I420Converter.Convert(frame.Pixels, frame.Stride, frame.Width, frame.Height, _captured!);
                    _scaler.Scale(_captured!, _i420);
                }

                var key = Interlocked.Exchange(ref _keyframeRequested, 0) == 1;
                var encoded = _encoder.Encode(_i420, index++, key);
                if (encoded.Data.IsEmpty)
                {
                    continue;
                }

                var rtpTimestamp = (uint)(frame.CapturedAt * 90_000 / Stopwatch.Frequency);
                if (!_publisher.SendVideoFrame(encoded.Data, rtpTimestamp))
                {
                    continue;
                }

                var elapsed = Stopwatch.GetElapsedTime(frame.CapturedAt).TotalMilliseconds;
                Interlocked.Increment(ref _frames);
                if (encoded.IsKeyframe)
                {
                    Interlocked.Increment(ref _keyframes);
                }

                lock (_statsLock)
                {
                    _latencies[_latencyCount++ % LatencyWindow] = elapsed;
                }
            }
        }
        catch (Exception ex) when (ex is LiliumException or ObjectDisposedException or InvalidOperationException)
        {
            Volatile.Write(ref _failure, ex);
        }
    }

    /// <summary>Stops the thread and waits for it; the source, encoder and publisher stay the caller's.</summary>
    public void Dispose()
    {
        _publisher.KeyframeRequested -= RequestKeyframe;
        _publisher.BitrateEstimated -= OnBitrateEstimate;
        _stop.Cancel();
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        _stop.Dispose();
    }
}
