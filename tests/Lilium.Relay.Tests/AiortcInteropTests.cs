using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Relay.Tests;

/// <summary>
/// THE interop proof: aiortc (a WebRTC implementation we did not write, Debian python3-aiortc run with
/// /usr/bin/python3) publishes VP8 + Opus through WHIP and subscribes through WHEP via our relay.
/// </summary>
[Trait("Category", "Interop")]
public sealed class AiortcInteropTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task Publisher_and_two_viewers_each_decode_100_frames_and_receive_audio()
    {
        var session = Guid.NewGuid();
        await using var publisher = AiortcProcesses.Publish(relay, session);
        var publisherPeer = await relay.WaitForSecuredPublisherAsync(session, TimeSpan.FromSeconds(20));

        // The answer offers ICE-TCP too (relay default); aiortc (aioice pairs UDP only) stays on UDP.
        Assert.NotNull(relay.App.Services.GetRequiredService<Lilium.Relay.Media.MediaSocket>().TcpEndPoint);
        Assert.Null(publisherPeer.Path!.Tcp);
        var viewersOnUdp = 0;
        using var watch = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!watch.IsCancellationRequested)
            {
                viewersOnUdp = Math.Max(viewersOnUdp, relay.Registry.FindSession(session)?.Subscribers.Count(s => s.State == Lilium.Relay.Media.PeerState.Secured && s.Path is { Tcp: null }) ?? 0);
                Assert.DoesNotContain(relay.Registry.Peers, p => p.Path?.Tcp is not null);
                await Task.Delay(100);
            }
        });

        var viewers = await Task.WhenAll(
            AiortcProcesses.ViewAsync(relay, session, seconds: 15, minVideo: 110),
            AiortcProcesses.ViewAsync(relay, session, seconds: 15, minVideo: 110));

        foreach (var v in viewers)
        {
            output.WriteLine(v.Json);
            Assert.True(v.VideoFrames >= 100, $"decoded only {v.VideoFrames} video frames: {v}");
            Assert.True(v.AudioFrames > 0, $"no audio: {v}");
            Assert.Equal(320, v.Width);
        }

        await watch.CancelAsync();
        await watcher;
        Assert.Equal(2, viewersOnUdp);
    }

    [Fact]
    public async Task Late_viewer_gets_a_keyframe_within_one_second()
    {
        var session = Guid.NewGuid();
        await using var publisher = AiortcProcesses.Publish(relay, session);
        await relay.WaitForSecuredPublisherAsync(session, TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2)); // the publisher's first keyframe is long gone
        var plisBefore = relay.Metrics.PlisSent;

        var viewer = await AiortcProcesses.ViewAsync(relay, session, seconds: 8, minVideo: 30);

        output.WriteLine(viewer.Json);
        Assert.True(viewer.VideoFrames >= 30, viewer.ToString());
        Assert.NotNull(viewer.FirstVideoMs);
        Assert.True(viewer.FirstVideoMs < 1000, $"first decoded frame {viewer.FirstVideoMs} ms after connecting: {viewer}");
        Assert.True(relay.Metrics.PlisSent > plisBefore, "the join did not request a keyframe");
    }

    [Fact]
    public async Task Viewer_with_5_percent_send_loss_recovers_through_nack_and_pli()
    {
        var session = Guid.NewGuid();
        await using var publisher = AiortcProcesses.Publish(relay, session);
        await relay.WaitForSecuredPublisherAsync(session, TimeSpan.FromSeconds(20));
        var retransmissionsBefore = relay.Metrics.Retransmissions;
        var nacksBefore = relay.Metrics.NacksReceived;
        var impairedBefore = relay.Impairment.Dropped;

        var lossy = await AiortcProcesses.ViewAsync(relay, session, seconds: 15, minVideo: 150, testLoss: true);

        output.WriteLine(lossy.Json);
        output.WriteLine($"NACKed {relay.Metrics.NacksReceived - nacksBefore}, retransmitted {relay.Metrics.Retransmissions - retransmissionsBefore}");
        Assert.True(lossy.VideoFrames >= 150, $"lossy viewer decoded only {lossy.VideoFrames} frames: {lossy}");
        Assert.True(lossy.AudioFrames > 0, lossy.ToString());
        Assert.True(relay.Metrics.NacksReceived > nacksBefore, "the lossy viewer never sent a NACK");
        Assert.True(relay.Impairment.Dropped > impairedBefore, "the test-composed send impairment dropped nothing");
        Assert.True(relay.Metrics.Retransmissions > retransmissionsBefore, "no NACK was answered from the cache");
    }
}
