using System.Globalization;
using System.Text.Json;
using Lilium.Testing.Netns;

namespace Lilium.Web.Tests;

/// <summary>
/// Bandwidth-limited viewers (issue 25), with real Chromium peers and a real bottleneck (<see cref="BottleneckRig"/>): the
/// host's page publishes, a second context of the same browser watches unlimited, and a Chromium inside a network
/// namespace watches through a veth pair whose way in tc's tbf limits.
/// </summary>
[Trait("Category", "Browser")]
public sealed class LimitedViewerBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int LimitKbit = 500;

    /// <summary>"Falls to about the limit": the estimate at or below this.</summary>
    private const double FallenBps = 600_000;

    /// <summary>"Climbed back": three times the limit.</summary>
    private const double ClimbedBps = 1_500_000;

    private static readonly TimeSpan Limited = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan AfterLift = TimeSpan.FromSeconds(25);

    /// <summary>The simulcast test: time for the limited viewer to settle on its layer, then the window measured.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A viewer limited to 500 kbit/s mid-stream: its estimate at the relay falls to about the limit within a few seconds
    /// while the unlimited viewer keeps decoding, and once the limit lifts the relay probes it (padding clusters go out).
    /// How fast the estimate climbs back is printed; the comparison with the control is the next test.
    /// </summary>
    [Fact]
    public async Task A_viewer_limited_mid_stream_is_estimated_down_within_seconds_and_probed_after_the_lift()
    {
        var run = await LimitAndLiftAsync(probing: true);
        output.WriteLine($"with probing: {run}");
        Assert.True(run.FallSeconds is <= 5, $"the limited viewer's estimate did not fall to {FallenBps / 1e3:F0} kbit/s within 5 s: {run}");
        Assert.True(run.OpenViewerFrames > 0, $"the unlimited viewer decoded nothing while the other was limited: {run}");
        Assert.True(run.ProbeClustersAfterLift > 0, $"the relay did not probe the viewer after the limit lifted: {run}");
    }

    /// <summary>
    /// Probing brings the estimate back: within 10 s of the lift, and sooner than the same run without probing (the
    /// control, where the estimate grows only as fast as the publisher's rate, which the REMB holds down, and the
    /// loss-based cap, which grows only after ~9 loss samples below 2 %). The padding goes on the subscriber's RTX stream,
    /// so a cluster needs no gap between frames (docs/relay.md, "Probing").
    /// </summary>
    [Fact]
    public async Task Probing_brings_a_limited_viewers_estimate_back_faster_than_without()
    {
        var with = await LimitAndLiftAsync(probing: true);
        var without = await LimitAndLiftAsync(probing: false);
        output.WriteLine($"with probing:    {with}");
        output.WriteLine($"without probing: {without}");
        foreach (var run in new[] { with, without })
        {
            Assert.True(run.FallSeconds is <= 5, $"the limited viewer's estimate did not fall to {FallenBps / 1e3:F0} kbit/s within 5 s: {run}");
        }

        Assert.True(with.ProbeClusters > 0, $"no probe was sent: {with}");
        Assert.Equal(0, without.ProbeClusters);
        Assert.True(with.ClimbSeconds is <= 10, $"with probing the estimate did not climb back to {ClimbedBps / 1e6:F1} Mbit/s within 10 s of the lift: {with}");
        Assert.True(with.ClimbSeconds < (without.ClimbSeconds ?? double.MaxValue),
            $"probing did not climb back faster: {with.ClimbSeconds:F1} s against {without.ClimbSeconds?.ToString("F1", CultureInfo.InvariantCulture) ?? "never"}");
    }

    /// <summary>
    /// Issue 25's Done-when for viewers: at 500 kbit/s the limited viewer has no freeze longer than 500 ms over 60 s (after
    /// 10 s to settle on its layer), and the unlimited one gets the high layer. The publisher sends simulcast (two
    /// encodings, low first: the order the relay takes as low → high); each viewer's layer is read in process.
    /// </summary>
    [Fact]
    public async Task A_viewer_limited_to_500_kbit_gets_the_low_layer_without_freezes_over_500_ms()
    {
        await using var rig = await BottleneckRig.StartAsync(probing: true, output);
        await rig.Namespace.ShapeAsync(LinkShape.Rate(LimitKbit));
        await rig.ConnectAsync(simulcast: true);
        rig.StartTrace();

        // The publisher's own estimate ramps up first: Chromium sends the high layer once its target allows it (in one
        // class run of four tests it stayed at 0.3 Mbit/s, the low layer alone, for 70 s; the message says so).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        for (var i = 1; rig.OpenLayer() != 1; i++)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the unlimited viewer was not on the high layer within 45 s (layer {rig.OpenLayer()}): is the publisher sending it?");
            await Task.Delay(250);
            if (i % 20 == 0)
            {
                await rig.LogAsync("waiting for the high layer");
            }
        }

        // Settle: the limited viewer's estimate falls from its start value and the relay moves it to the low layer.
        for (var i = 0; i < Settle.TotalSeconds; i++)
        {
            await Task.Delay(1000);
            await rig.LogAsync($"settling {i + 1} s");
        }

        await rig.LimitedViewer.EvaluateAsync("() => window.resetGaps()");
        await rig.OpenViewer.EvaluateAsync("() => window.resetGaps()");
        await rig.Publisher.EvaluateAsync("() => window.drawStalls()");
        var before = await BottleneckRig.StatsAsync(rig.LimitedViewer);
        var openBefore = await BottleneckRig.StatsAsync(rig.OpenViewer);
        var limitedLayers = new List<int>();
        var openLayers = new List<int>();
        var started = DateTime.UtcNow;
        var startedMs = (double)new DateTimeOffset(started).ToUnixTimeMilliseconds();
        for (var i = 1; DateTime.UtcNow - started < Window; i++)
        {
            await Task.Delay(1000);
            limitedLayers.Add(rig.LimitedLayer());
            openLayers.Add(rig.OpenLayer());
            if (i % 5 == 0)
            {
                await rig.LogAsync($"window {i} s");
            }
        }

        var after = await BottleneckRig.StatsAsync(rig.LimitedViewer);
        var openAfter = await BottleneckRig.StatsAsync(rig.OpenViewer);
        var gaps = await rig.LimitedViewer.EvaluateAsync<JsonElement>("() => window.resetGaps()");
        var openGaps = Gap.List(await rig.OpenViewer.EvaluateAsync<JsonElement>("() => window.resetGaps()"));
        var stalls = Gap.List(await rig.Publisher.EvaluateAsync<JsonElement>("() => ({ list: window.drawStalls() })"));
        var freeze = Freeze.Between(before, after, gaps);
        var limitedKbps = (Num(after, "bytesReceived") - Num(before, "bytesReceived")) * 8 / Window.TotalSeconds / 1000;
        // Each gap of the limited viewer's, beside the unlimited viewer's at the same time (the control: same publisher,
        // relay and machine, no bottleneck) and what the relay did around it.
        var limitedGaps = Gap.List(gaps);
        foreach (var gap in limitedGaps)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  limited viewer: no frame for {gap.Ms:F0} ms at {gap.AtMs - startedMs:F0} ms; unlimited viewer then: {(openGaps.FirstOrDefault(gap.Overlaps) is { } o ? $"no frame for {o.Ms:F0} ms" : "frames")}; " +
                $"publisher's drawing then: {(stalls.FirstOrDefault(gap.Overlaps) is { } d ? $"stalled {d.Ms:F0} ms" : "on time")}; the relay:{Environment.NewLine}{rig.TraceAround(gap.AtMs - 1_500, gap.AtMs + gap.Ms, startedMs)}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"unlimited viewer's gaps of 250 ms or more: {openGaps.Count}, longest {openGaps.Select(g => g.Ms).DefaultIfEmpty(0).Max():F0} ms; publisher's drawing stalls: {stalls.Count}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"limited viewer over {Window.TotalSeconds:F0} s: {freeze}, {limitedKbps:F0} kbit/s, {Num(after, "frameWidth")}x{Num(after, "frameHeight")}, layers [{string.Join(",", limitedLayers)}]; " +
            $"unlimited viewer: {Num(openAfter, "framesDecoded") - Num(openBefore, "framesDecoded")} frames, {Num(openAfter, "frameWidth")}x{Num(openAfter, "frameHeight")}, layers [{string.Join(",", openLayers)}]"));
        // A probe through the token bucket's burst can lift the estimate; the relay then tries the high layer with padding
        // (docs/relay.md, "Simulcast"), which fails within a fraction of a second here: the viewer must spend the window
        // on the low layer, without a freeze over 500 ms.
        var onLow = limitedLayers.Count(l => l == 0);
        Assert.True(onLow >= limitedLayers.Count * 0.8, $"the limited viewer was on the low layer in {onLow} of {limitedLayers.Count} samples");
        Assert.True(openLayers.Count(l => l == 1) >= openLayers.Count * 0.9, $"the unlimited viewer was on the high layer in {openLayers.Count(l => l == 1)} of {openLayers.Count} samples");
        // The part of a gap the unlimited viewer shared is the machine's or the source's (the publisher's page or the
        // whole machine stalled), not the limited path's: it is printed above and not held against the limited viewer.
        var longestOwn = limitedGaps.Select(g => g.Ms - openGaps.Sum(g.OverlapMs)).DefaultIfEmpty(0).Max();
        Assert.True(freeze.LongestGapMs < 250 || limitedGaps.Count > 0, $"the page listed no gap though its longest was {freeze.LongestGapMs:F0} ms");
        Assert.True(longestOwn <= 500,
            $"the limited viewer froze ({longestOwn:F0} ms without a frame while the unlimited viewer had frames): {freeze}");
        Assert.True(Num(openAfter, "frameWidth") > Num(after, "frameWidth"), "the unlimited viewer did not get a higher layer than the limited one");
        Assert.True(Num(openAfter, "framesDecoded") - Num(openBefore, "framesDecoded") > 300);
    }

    /// <summary>
    /// Simulcast mid-stream: both viewers on the high layer; the limit moves the limited viewer to the low layer within
    /// 3 s while the unlimited one stays high, and is back on the high layer within 25 s of the lift.
    /// </summary>
    [Fact]
    public async Task A_viewer_limited_mid_stream_is_switched_down_within_3_s_and_back_up_after_the_lift()
    {
        await using var rig = await BottleneckRig.StartAsync(probing: true, output);
        await rig.ConnectAsync(simulcast: true);
        rig.StartTrace();
        // The publisher's own estimate ramps up first (Chromium sends the high layer once its target allows it).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        for (var i = 1; rig.LimitedLayer() != 1 || rig.OpenLayer() != 1; i++)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the viewers did not both reach the high layer within 45 s: limited {rig.LimitedLayer()}, open {rig.OpenLayer()}");
            await Task.Delay(250);
            if (i % 20 == 0)
            {
                await rig.LogAsync("waiting for the high layer");
            }
        }

        await rig.LogAsync("both high");
        await rig.Namespace.ShapeAsync(LinkShape.Rate(LimitKbit));
        var limitedAt = DateTime.UtcNow;
        double? down = null;
        var openLayers = new List<int>();
        while (DateTime.UtcNow - limitedAt < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
            openLayers.Add(rig.OpenLayer());
            if (down is null && rig.LimitedLayer() == 0)
            {
                down = (DateTime.UtcNow - limitedAt).TotalSeconds;
            }
        }

        await rig.LogAsync("limited 10 s");
        await rig.Namespace.LiftAsync();
        var liftedAt = DateTime.UtcNow;
        double? up = null;
        while (up is null && DateTime.UtcNow - liftedAt < AfterLift)
        {
            await Task.Delay(100);
            if (rig.LimitedLayer() == 1)
            {
                up = (DateTime.UtcNow - liftedAt).TotalSeconds;
            }

            if ((DateTime.UtcNow - liftedAt).TotalMilliseconds % 5000 < 100)
            {
                await rig.LogAsync($"lifted {(DateTime.UtcNow - liftedAt).TotalSeconds:F1} s");
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"low layer {down?.ToString("F1", CultureInfo.InvariantCulture) ?? "never"} s after the limit; high layer again {up?.ToString("F1", CultureInfo.InvariantCulture) ?? "never"} s after the lift; unlimited viewer's layers while limited, every 100 ms: {string.Join(' ', openLayers)}"));
        if (up is not < 8)
        {
            // The way back took long: what the relay's view of the viewer did meanwhile (trials, their padding, the queue).
            var liftedMs = new DateTimeOffset(liftedAt).ToUnixTimeMilliseconds();
            output.WriteLine($"after the lift:{Environment.NewLine}{rig.TraceAround(liftedMs, liftedMs + ((up ?? AfterLift.TotalSeconds) * 1000), liftedMs)}");
        }

        Assert.True(down is <= 3, $"the limited viewer was not moved to the low layer within 3 s ({down?.ToString(CultureInfo.InvariantCulture) ?? "never"})");
        // The unlimited viewer keeps the high layer: its own path decides, not the other viewer's. (On a machine busy
        // with other test assemblies its own feedback can show a delay spike, so one short dip is allowed, not a stay.)
        Assert.True(openLayers.Count(l => l == 1) >= openLayers.Count * 0.9, $"the unlimited viewer left the high layer while the other was limited: {string.Join(' ', openLayers)}");
        // The way back up: a probe must lift the viewer's estimate past 1.15 × the high layer's rate, then a padded trial
        // holds 2 s, and failed trials while limited back off up to 8 s (docs/relay.md, "Bandwidth-limited viewers").
        Assert.True(up is not null, $"the limited viewer was not back on the high layer within {AfterLift.TotalSeconds:F0} s of the lift");
    }

    private async Task<Run> LimitAndLiftAsync(bool probing)
    {
        output.WriteLine(probing ? "— with probing" : "— without probing (RELAY_PROBING=false)");
        await using var rig = await BottleneckRig.StartAsync(probing, output);
        await rig.ConnectAsync(simulcast: false);

        // Warm-up: the publisher's estimate and encoder ramp up; neither viewer constrains it yet.
        for (var i = 0; i < 8; i++)
        {
            await Task.Delay(1000);
            await rig.LogAsync("warm-up");
        }

        await rig.LimitedViewer.EvaluateAsync("() => window.resetGaps()");
        var before = await BottleneckRig.StatsAsync(rig.LimitedViewer);
        var openBefore = await BottleneckRig.StatsAsync(rig.OpenViewer);
        await rig.Namespace.ShapeAsync(LinkShape.Rate(LimitKbit));
        var limitedAt = DateTime.UtcNow;
        double? fall = null;
        while (DateTime.UtcNow - limitedAt < Limited)
        {
            await Task.Delay(500);
            var estimate = rig.LimitedEstimateBps();
            if (fall is null && estimate <= FallenBps)
            {
                fall = (DateTime.UtcNow - limitedAt).TotalSeconds;
            }

            await rig.LogAsync($"limited {(DateTime.UtcNow - limitedAt).TotalSeconds:F1} s");
        }

        var during = await BottleneckRig.StatsAsync(rig.LimitedViewer);
        var openDuring = await BottleneckRig.StatsAsync(rig.OpenViewer);
        var gaps = await rig.LimitedViewer.EvaluateAsync<JsonElement>("() => window.resetGaps()");
        var freeze = Freeze.Between(before, during, gaps);
        var limitedKbps = (Num(during, "bytesReceived") - Num(before, "bytesReceived")) * 8 / Limited.TotalSeconds / 1000;
        output.WriteLine($"  qdisc: {(await rig.Namespace.QdiscStatsAsync()).ReplaceLineEndings(" ")}");

        await rig.Namespace.LiftAsync();
        var liftedAt = DateTime.UtcNow;
        var probesAtLift = rig.Probes().Clusters;
        double? climb = null;
        while (DateTime.UtcNow - liftedAt < AfterLift)
        {
            await Task.Delay(500);
            if (climb is null && rig.LimitedEstimateBps() >= ClimbedBps)
            {
                climb = (DateTime.UtcNow - liftedAt).TotalSeconds;
            }

            await rig.LogAsync($"lifted {(DateTime.UtcNow - liftedAt).TotalSeconds:F1} s");
        }

        var (probes, padding) = rig.Probes();
        var afterLift = await BottleneckRig.StatsAsync(rig.LimitedViewer);
        return new Run(probing, fall, climb, freeze, limitedKbps, (long)(Num(openDuring, "framesDecoded") - Num(openBefore, "framesDecoded")),
            probes, probes - probesAtLift, padding, (long)(Num(afterLift, "framesDecoded") - Num(during, "framesDecoded")));
    }

    private static double Num(JsonElement e, string name) => BottleneckRig.Num(e, name);

    private sealed record Run(bool Probing, double? FallSeconds, double? ClimbSeconds, Freeze Limited, double LimitedKbps, long OpenViewerFrames,
        long ProbeClusters, long ProbeClustersAfterLift, long PaddingPackets, long FramesAfterLift)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"estimate ≤ {FallenBps / 1e3:F0} kbit/s after {FallSeconds?.ToString("F1", CultureInfo.InvariantCulture) ?? "never"} s, " +
            $"≥ {ClimbedBps / 1e6:F1} Mbit/s {ClimbSeconds?.ToString("F1", CultureInfo.InvariantCulture) ?? "never"} s after the lift; " +
            $"limited viewer while limited: {LimitedKbps:F0} kbit/s, {Limited}; unlimited viewer {OpenViewerFrames} frames meanwhile; " +
            $"{ProbeClusters} probe clusters ({ProbeClustersAfterLift} after the lift), {PaddingPackets} padding packets; {FramesAfterLift} frames in the {AfterLift.TotalSeconds:F0} s after the lift");
    }

    /// <summary>A stretch without frames (a page's <c>list</c> of gaps: start in epoch ms, length in ms).</summary>
    private sealed record Gap(double AtMs, double Ms)
    {
        public bool Overlaps(Gap other) => OverlapMs(other) > 0;

        public double OverlapMs(Gap other) => Math.Max(0, Math.Min(AtMs + Ms, other.AtMs + other.Ms) - Math.Max(AtMs, other.AtMs));

        public static List<Gap> List(JsonElement e) => e.TryGetProperty("list", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(g => new Gap(Num(g, "at"), Num(g, "ms")))]
            : [];
    }

    /// <summary>Freezes over a window: Chromium's counters (a frame shown ≥ max(3 × the mean frame interval, interval + 150 ms) late) and the longest gap between presented frames.</summary>
    private sealed record Freeze(double Frames, double FreezeCount, double FreezeSeconds, double LongestGapMs)
    {
        public static Freeze Between(JsonElement before, JsonElement after, JsonElement gaps) => new(
            Num(after, "framesDecoded") - Num(before, "framesDecoded"),
            Num(after, "freezeCount") - Num(before, "freezeCount"),
            Num(after, "totalFreezesDuration") - Num(before, "totalFreezesDuration"),
            Num(gaps, "maxGapMs"));

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Frames:F0} frames decoded, {FreezeCount:F0} freezes ({FreezeSeconds:F2} s in all), longest gap between presented frames {LongestGapMs:F0} ms");
    }
}
