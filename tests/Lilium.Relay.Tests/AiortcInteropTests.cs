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
    public async Task Late_viewer_decodes_its_first_frame_within_300_ms_from_the_cached_keyframe_without_a_pli()
    {
        // aiortc's encoder sends one keyframe at start (then only on PLI, or after 3,000 frames): 2 s later the relay's
        // cached run (that keyframe and every delta since) is the only way to start a viewer without asking for one.
        var session = Guid.NewGuid();
        await using var publisher = AiortcProcesses.Publish(relay, session);
        await relay.WaitForSecuredPublisherAsync(session, TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var plisBefore = relay.Metrics.PlisSent;
        var askedBefore = relay.Metrics.KeyframeRequestsReceived;
        var fastBefore = relay.Metrics.FastStarts;

        var viewer = await AiortcProcesses.ViewAsync(relay, session, seconds: 6, minVideo: 30);

        var plis = relay.Metrics.PlisSent - plisBefore;
        var asked = relay.Metrics.KeyframeRequestsReceived - askedBefore;
        output.WriteLine(viewer.Json);
        output.WriteLine($"PLIs to the publisher: {plis}; PLI/FIR from the viewer: {asked}; fast starts: {relay.Metrics.FastStarts - fastBefore}");
        Assert.True(viewer.VideoFrames >= 30, viewer.ToString());
        Assert.NotNull(viewer.FirstVideoMs);
        Assert.True(viewer.FirstVideoMs < 300, $"first decoded frame {viewer.FirstVideoMs} ms after connecting: {viewer}");
        Assert.Equal(fastBefore + 1, relay.Metrics.FastStarts);
        // The relay asked the publisher for no keyframe of its own: any PLI it sent passed on the viewer's own request
        // (aiortc asks when its 128-packet jitter buffer overflows, which the replayed burst can cause on a busy machine).
        Assert.True(plis <= asked, $"{plis} PLIs sent, {asked} asked for by the viewer");
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
        var rtxBefore = relay.Metrics.RtxSent;

        var lossy = await AiortcProcesses.ViewAsync(relay, session, seconds: 15, minVideo: 150, testLoss: true);

        output.WriteLine(lossy.Json);
        output.WriteLine($"NACKed {relay.Metrics.NacksReceived - nacksBefore}, retransmitted {relay.Metrics.Retransmissions - retransmissionsBefore}, {relay.Metrics.RtxSent - rtxBefore} of them as RTX");
        Assert.True(lossy.VideoFrames >= 150, $"lossy viewer decoded only {lossy.VideoFrames} frames: {lossy}");
        Assert.True(lossy.AudioFrames > 0, lossy.ToString());
        Assert.True(relay.Metrics.NacksReceived > nacksBefore, "the lossy viewer never sent a NACK");
        Assert.True(relay.Impairment.Dropped > impairedBefore, "the test-composed send impairment dropped nothing");
        Assert.True(relay.Metrics.Retransmissions > retransmissionsBefore, "no NACK was answered from the cache");
        Assert.True(relay.Metrics.RtxSent > rtxBefore, "aiortc offers rtx, so resends go as RTX (its receiver repairs them by the answer's FID group)");
    }
}

/// <summary>The same late join with fast start off (<c>RELAY_FAST_START=false</c>): the viewer has to wait for a PLI's keyframe.</summary>
[Trait("Category", "Interop")]
public sealed class AiortcWithoutFastStartTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly RelayFixture _relay = new(o => o.FastStart = false);

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Fact]
    public async Task Late_viewer_needs_a_pli_and_waits_for_its_keyframe()
    {
        var session = Guid.NewGuid();
        await using var publisher = AiortcProcesses.Publish(_relay, session);
        await _relay.WaitForSecuredPublisherAsync(session, TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2));
        var plisBefore = _relay.Metrics.PlisSent;

        var viewer = await AiortcProcesses.ViewAsync(_relay, session, seconds: 6, minVideo: 30);

        output.WriteLine(viewer.Json);
        output.WriteLine($"PLIs for the join: {_relay.Metrics.PlisSent - plisBefore}");
        Assert.True(viewer.VideoFrames >= 30, viewer.ToString());
        Assert.True(_relay.Metrics.PlisSent > plisBefore, "without the cache the join must request a keyframe");
        Assert.Equal(0, _relay.Metrics.FastStarts);
    }
}
