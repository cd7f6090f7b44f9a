using Lilium.Client.Codecs;
using Lilium.Client.Media;

namespace Lilium.Client.Capture;

/// <summary>The host's audio loop: 20 ms PCM frames from an <see cref="IAudioSource"/>, Opus-encoded, sent with a 48 kHz timestamp.</summary>
public sealed class AudioStreamer : IAsyncDisposable
{
    private readonly IAudioSource _source;
    private readonly IMediaPublisher _publisher;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _packets;

    /// <summary>Starts streaming at once.</summary>
    public AudioStreamer(IAudioSource source, IMediaPublisher publisher, int bitrate = 128_000)
    {
        _source = source;
        _publisher = publisher;
        var encoder = new OpusEncoder(bitrate);
        _loop = Task.Run(() => RunAsync(encoder));
    }

    /// <summary>Opus packets sent.</summary>
    public long PacketsSent => Interlocked.Read(ref _packets);

    private async Task RunAsync(OpusEncoder encoder)
    {
        using var _ = encoder;
        var pcm = new byte[AudioCapture.FrameBytes];
        var timestamp = (uint)Random.Shared.Next();
        try
        {
            while (await _source.ReadFrameAsync(pcm, _stop.Token))
            {
                if (_publisher.SendAudio(encoder.Encode(pcm), timestamp))
                {
                    Interlocked.Increment(ref _packets);
                }

                timestamp += 960;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops the loop; the source stays the caller's.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
