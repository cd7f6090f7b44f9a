using Lilium.Auth;
using Lilium.Client.Capture;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Lilium.Protocol;

namespace Lilium.Host.Tests;

/// <summary>What the machine plays reaches a viewer as Opus: a 440 Hz tone into a PulseAudio null sink, decoded at the viewer.</summary>
[Trait("Category", "Desktop")]
public sealed class AudioTests(PulseAudioFixture pulse, RelayFixture relay) : IClassFixture<PulseAudioFixture>, IClassFixture<RelayFixture>
{
    [Fact]
    public async Task A_440_Hz_tone_played_on_the_host_is_heard_at_440_Hz_by_the_viewer()
    {
        using var player = pulse.Start("pacat", "--playback", "--raw", "--format=s16le", "--rate=48000", "--channels=2", "--device=" + PulseAudioFixture.Sink);
        using var stopTone = new CancellationTokenSource();
        var tone = Task.Run(async () =>
        {
            var buffer = new byte[AudioCapture.FrameBytes];
            var n = 0L;
            var stream = player.StandardInput.BaseStream;
            try
            {
                while (!stopTone.IsCancellationRequested)
                {
                    for (var i = 0; i < 960; i++, n++)
                    {
                        var s = (short)(Math.Sin(2 * Math.PI * 440 * n / 48_000) * 12_000);
                        BitConverter.TryWriteBytes(buffer.AsSpan(i * 4), s);
                        BitConverter.TryWriteBytes(buffer.AsSpan((i * 4) + 2), s);
                    }

                    await stream.WriteAsync(buffer);
                }
            }
            catch (IOException)
            {
            }
        });

        var session = Guid.NewGuid();
        await using var publisher = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host, Guid.NewGuid(), InputPermissions.None));
        await using var source = AudioCapture.Open(PulseAudioFixture.Sink + ".monitor", pulse.Server);
        await using var streamer = new AudioStreamer(source, publisher);
        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Viewer, Guid.NewGuid(), InputPermissions.None));

        using var decoder = new OpusDecoder();
        var samples = new List<short>();
        var pcm = new short[5760 * 2];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var skipped = 0;
        await foreach (var packet in viewer.AudioPackets.ReadAllAsync(timeout.Token))
        {
            var n = decoder.Decode(packet.Data.Span, pcm);
            Assert.True(n > 0, "opus_decode failed: " + n);
            if (skipped++ < 10)
            {
                continue; // the decoder's and the sink's start-up
            }

            for (var i = 0; i < n; i++)
            {
                samples.Add(pcm[i * 2]); // left
            }

            if (samples.Count >= 48_000)
            {
                break;
            }
        }

        await stopTone.CancelAsync();
        player.Kill();
        await tone;

        Assert.True(samples.Count >= 48_000, $"only {samples.Count} samples arrived");
        var at440 = Goertzel(samples, 440);
        var total = samples.Sum(s => (double)s * s) * samples.Count / 2;
        Assert.True(at440 / total > 0.8, $"440 Hz holds {at440 / total:P1} of the energy");
        Assert.True(at440 > 50 * Goertzel(samples, 1000) && at440 > 50 * Goertzel(samples, 220), "energy elsewhere than 440 Hz");
    }

    private static double Goertzel(List<short> x, double frequency)
    {
        var w = 2 * Math.PI * frequency / 48_000;
        var c = 2 * Math.Cos(w);
        double s1 = 0, s2 = 0;
        foreach (var v in x)
        {
            var s = v + (c * s1) - s2;
            s2 = s1;
            s1 = s;
        }

        return (s1 * s1) + (s2 * s2) - (c * s1 * s2);
    }
}
