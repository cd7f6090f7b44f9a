using System.Globalization;
using System.Text.Json;
using Lilium.Testing.Netns;

namespace Lilium.Web.Tests;

/// <summary>
/// Loss on the publisher's uplink (issue 25 item 1: RTX, "incoming RTX repaired"), with real Chromium peers: the
/// publishing page runs in a Chromium inside a network namespace whose way out loses 5 % of its UDP packets at random
/// (iptables' statistic match where they arrive: this VM's kernel has no netem); a viewer
/// on the host watches. With the relay's NACKs to the publisher (<c>RELAY_NACK_PUBLISHERS</c>, the default) Chromium
/// resends what was lost on its RTX stream and the repairs reach the viewer, which asks for no keyframe; the control run
/// without them shows what the viewer faces otherwise (a hole the relay's cache cannot fill, then a keyframe request).
/// </summary>
[Trait("Category", "Browser")]
public sealed class UpstreamLossBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const double LossPercent = 5;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_publishers_uplink_loss_is_repaired_through_the_relays_nacks_without_keyframe_requests()
    {
        var with = await MeasureAsync(nackPublishers: true);
        var without = await MeasureAsync(nackPublishers: false);
        output.WriteLine($"with NACKs to the publisher: {with}");
        output.WriteLine($"without (the control): {without}");

        // Decodes throughout (≥ 5 frames a second; a loaded CI machine encodes fewer than the 30 drawn) and far more than
        // the control, which at this loss decodes next to nothing.
        Assert.True(with.ViewerFrames >= 100 && with.ViewerFrames > 10 * Math.Max(1, without.ViewerFrames), $"the viewer decodes throughout: {with}; control: {without}");
        Assert.True(with.UpstreamNacked > 0, $"the relay NACKed nothing: {with}");
        Assert.True(with.PublisherNacks > 0 && with.PublisherResent > 0, $"Chromium counted no NACK received or packet resent: {with}");
        Assert.True(with.Repaired > 0, $"no publisher RTX filled a gap: {with}");
        Assert.Equal(0, with.ViewerPlis);
        Assert.Equal(0, without.UpstreamNacked);
        Assert.True(without.ViewerPlis > with.ViewerPlis, $"the control viewer asked for no keyframe either: {without}");
    }

    private async Task<Run> MeasureAsync(bool nackPublishers)
    {
        await using var rig = await BottleneckRig.StartAsync(probing: true, output, publisherInNamespace: true, nackPublishers);
        await rig.ConnectAsync(simulcast: false);
        await rig.Namespace.DropUdpAsync(LossPercent, LinkDirection.OutOfNamespace);
        await Task.Delay(TimeSpan.FromSeconds(3)); // the join's keyframe requests are not what is measured

        var (publisherBefore, viewerBefore) = (await BottleneckRig.StatsAsync(rig.Publisher), await BottleneckRig.StatsAsync(rig.OpenViewer));
        var (nackedBefore, repairedBefore) = (rig.Metrics.UpstreamNacked, rig.Metrics.RtxRepairedCount);
        await Task.Delay(Window);
        var (publisherAfter, viewerAfter) = (await BottleneckRig.StatsAsync(rig.Publisher), await BottleneckRig.StatsAsync(rig.OpenViewer));

        return new Run(
            nackPublishers,
            rig.Metrics.UpstreamNacked - nackedBefore,
            rig.Metrics.RtxRepairedCount - repairedBefore,
            (long)Delta(publisherBefore, publisherAfter, "nacksReceived"),
            (long)Delta(publisherBefore, publisherAfter, "retransmittedPacketsSent"),
            (long)Delta(viewerBefore, viewerAfter, "framesDecoded"),
            (long)Delta(viewerBefore, viewerAfter, "pliCount"),
            (long)Delta(viewerBefore, viewerAfter, "freezeCount"),
            (long)Delta(viewerBefore, viewerAfter, "packetsLost"));
    }

    private static double Delta(JsonElement before, JsonElement after, string name) => BottleneckRig.Num(after, name) - BottleneckRig.Num(before, name);

    private sealed record Run(bool NackPublishers, long UpstreamNacked, long Repaired, long PublisherNacks, long PublisherResent,
        long ViewerFrames, long ViewerPlis, long ViewerFreezes, long ViewerLost)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"relay NACKed {UpstreamNacked} packets, {Repaired} repairs forwarded; publisher counted {PublisherNacks} NACKs, resent {PublisherResent}; " +
            $"viewer over {Window.TotalSeconds:F0} s: {ViewerFrames} frames, {ViewerPlis} PLIs, {ViewerFreezes} freezes, {ViewerLost} packets lost");
    }
}
