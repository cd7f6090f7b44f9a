using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Lilium.Auth;
using Lilium.Client.Capture;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Lilium.Protocol;

namespace Lilium.Host.Tests;

/// <summary>What a viewer who joins a running share sees first, and how many keyframes the host made for it.</summary>
internal sealed record LateViewerTrial(VideoFrame First, TimeSpan ToFirstFrame, long KeyframesBefore, long KeyframesAfter, string ViewerStats, string Requests)
{
    /// <summary>For an assertion's message: what the trial measured.</summary>
    public override string ToString() =>
        $"first frame {ToFirstFrame.TotalMilliseconds:F0} ms after the connection was up (keyframe: {First.IsKeyframe}); host keyframes {KeyframesBefore} before, {KeyframesAfter} after; viewer {ViewerStats}; keyframe requests reached the host at {Requests} ms";

    /// <summary>
    /// Publishes the Xvfb screen (VP8, 30 fps, keyframes only on demand) for 2.5 s — well past any 1 s keyframe
    /// interval — then connects a viewer and times its first frame from the moment its connection was up to the frame's
    /// arrival (the SDK's stamp when its last packet came in, not when this test got round to reading it).
    /// </summary>
    public static async Task<LateViewerTrial> RunAsync(XvfbFixture x, RelayFixture relay)
    {
        var session = Guid.NewGuid();
        await using var publisher = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host, Guid.NewGuid(), InputPermissions.None), "VP8");
        using var screen = ScreenCapture.Open(new ScreenSelection(x.Display));
        using var encoder = new VideoEncoderSettings("VP8", screen.Width, screen.Height, 30, 2000).Open();
        using var streamer = new ScreenStreamer(screen, encoder, publisher, 30);
        streamer.Start();
        await Task.Delay(2500);
        var before = streamer.KeyframesSent;

        var clock = Stopwatch.StartNew();
        var requests = new ConcurrentQueue<TimeSpan>();
        publisher.KeyframeRequested += () => requests.Enqueue(clock.Elapsed);
        await using var late = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Viewer, Guid.NewGuid(), InputPermissions.None));
        var connected = clock.Elapsed;
        var connectedAt = TimeProvider.System.GetUtcNow();
        var first = await late.VideoFrames.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        var toFirstFrame = first.ReceivedAt - connectedAt;
        var stats = late.VideoStats;

        // The streamer counts a keyframe after its send returns; the viewer's receive thread can have the frame first.
        SpinWait.SpinUntil(() => streamer.KeyframesSent > before, TimeSpan.FromSeconds(1));
        var requested = string.Join(", ", requests.Select(at => (at - connected).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)));
        return new LateViewerTrial(first, toFirstFrame, before, streamer.KeyframesSent, $"{stats.Packets} packets, {stats.Nacks} NACKed, {stats.Plis} PLIs", $"[{requested}]");
    }
}
