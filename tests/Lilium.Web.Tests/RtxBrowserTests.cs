using System.Globalization;
using System.Text.Json;
using Lilium.Testing.Stack;
using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>
/// RTX (RFC 4588, issue 25 item 1) with real Chromium peers on loopback. A Chromium page publishes a moving 640×360 canvas
/// through WHIP to a relay in this process whose sends to impairable viewers lose 5 % of their packets (the test-only
/// <see cref="ImpairedRelay"/>: seeded, after 100 packets per SSRC, plus each video track's first packet). Two Chromium
/// viewers watch through WHEP with that loss: one offers rtx as Chromium does, the other has rtx removed from its offer
/// (the control). The relay answers both viewers' NACKs from its cache — as RTX to the first, on the original SSRC to the
/// second — so Chromium counts retransmissions received only for the first.
/// </summary>
[Trait("Category", "Browser")]
public sealed class RtxBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Watching = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_chromium_viewer_at_5_percent_loss_recovers_through_rtx_without_keyframe_requests()
    {
        await using var run = await StartAsync();
        var host = await run.OpenAsync();
        Assert.Equal(201, await run.PublishAsync(host));
        Assert.Contains(" rtx/90000", await host.EvaluateAsync<string>("() => pc.remoteDescription.sdp"), StringComparison.Ordinal);

        var withRtx = await run.OpenAsync();
        var withoutRtx = await run.OpenAsync();
        await WatchAsync(run, withoutRtx, rtx: false);
        await WatchAsync(run, withRtx, rtx: true);
        Assert.Contains("a=ssrc-group:FID ", await withRtx.EvaluateAsync<string>("() => pc.remoteDescription.sdp"), StringComparison.Ordinal);
        Assert.DoesNotContain(" rtx/", await withoutRtx.EvaluateAsync<string>("() => pc.remoteDescription.sdp"), StringComparison.Ordinal);

        // Both decode before the measured window starts; what is asserted is what happens in the window (a join at 5 % loss
        // can still cost a keyframe request; the totals are printed).
        await WaitForFramesAsync(withRtx, 10);
        await WaitForFramesAsync(withoutRtx, 10);
        var keyframeRequestsBefore = await run.MetricAsync("lilium_relay_keyframe_requests_received_total");
        var start = (await Stats(withRtx), await Stats(withoutRtx));
        await Task.Delay(Watching);
        var rtx = await Stats(withRtx);
        var plain = await Stats(withoutRtx);
        var keyframeRequests = await run.MetricAsync("lilium_relay_keyframe_requests_received_total") - keyframeRequestsBefore;
        var rtxSent = await run.MetricAsync("lilium_relay_rtx_sent_total");
        var resent = await run.MetricAsync("lilium_relay_retransmissions_total");
        var dropped = await run.MetricAsync("lilium_relay_test_dropped_total");
        var publisherRtx = await run.MetricAsync("lilium_relay_rtx_received_total");
        var repaired = await run.MetricAsync("lilium_relay_rtx_repaired_total");

        output.WriteLine($"viewer with rtx at the start {start.Item1}, after {Watching.TotalSeconds} s {rtx}");
        output.WriteLine($"viewer without rtx at the start {start.Item2}, after {Watching.TotalSeconds} s {plain}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"relay: {dropped} packets dropped by the impairment, {resent} resent ({rtxSent} as RTX), {keyframeRequests} PLI/FIR from viewers in the window; from the publisher {publisherRtx} RTX packets, {repaired} of them repairs"));

        Assert.True(Frames(rtx) - Frames(start.Item1) >= 30, "the RTX viewer decodes video throughout");
        Assert.True(Frames(plain) - Frames(start.Item2) >= 30, "the control viewer decodes video throughout");
        Assert.True(Delta(rtx, start.Item1, "nackCount") > 0, "the RTX viewer NACKed no loss in the window");
        Assert.True(Delta(rtx, start.Item1, "retransmittedPacketsReceived") > 0, "Chromium counted no retransmission received on the RTX viewer in the window");
        Assert.Equal(0, Delta(rtx, start.Item1, "pliCount"));
        Assert.Equal(0, keyframeRequests); // no viewer asked for a keyframe in the window
        Assert.True(rtxSent > 0, "the relay sent no RTX");
        Assert.True(Delta(plain, start.Item2, "nackCount") > 0, "the control viewer NACKed no loss in the window");
        Assert.True(plain.GetProperty("retransmittedPacketsReceived").GetInt32() <= 0, // -1: not reported without an RTX stream
            "the control viewer counted retransmissions: resends on the original SSRC are not RTX");
        Assert.True(resent > rtxSent, "the control viewer's NACKs were answered on the original SSRC");
    }

    private static int Frames(JsonElement stats) => stats.GetProperty("framesDecoded").GetInt32();

    // A counter Chromium does not report yet (-1: retransmittedPacketsReceived before the first RTX packet) counts as 0.
    private static int Delta(JsonElement end, JsonElement start, string counter) =>
        Math.Max(0, end.GetProperty(counter).GetInt32()) - Math.Max(0, start.GetProperty(counter).GetInt32());

    private static Task<JsonElement> Stats(IPage page) => page.EvaluateAsync<JsonElement>("() => window.stats()");

    private static Task WatchAsync(RelayBrowserRun run, IPage viewer, bool rtx) =>
        run.WatchAsync(viewer, DateTime.UtcNow + TimeSpan.FromSeconds(30), rtx);

    private static async Task WaitForFramesAsync(IPage viewer, int frames)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Frames(await Stats(viewer)) < frames)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the viewer decoded fewer than {frames} frames in 30 s: {await Stats(viewer)}");
            await Task.Delay(250);
        }
    }

    private static Task<RelayBrowserRun> StartAsync() => RelayBrowserRun.StartAsync(new RelayBrowserOptions
    {
        PageName = "rtx-test",
        Page = Page,
        CreateRelay = (args, configure) => ImpairedRelay.CreateAsync(args, configure, new SendImpairment(LossPercent: 5)),
    });

    // The host draws a 640×360 canvas 30 times a second (a changing colour, a small noise patch moving across it and a
    // counter): every frame changes, yet the loaded test machine still encodes and decodes it at a steady rate. watch(…, false) removes the rtx formats from the viewer's offer (the control); every viewer asks
    // for the relay's test loss. getStats gives the viewer's inbound video counters (-1: a counter Chromium does not report).
    private static readonly string Page = RelayBrowserRun.Page("RTX", 640, 360, """
        function withoutRtx(sdp) {
          const lines = sdp.split('\r\n');
          const rtx = new Set(lines.map(l => /^a=rtpmap:(\d+) rtx\//.exec(l)).filter(m => m).map(m => m[1]));
          return lines.filter(l => { const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+) /.exec(l); return !(m && rtx.has(m[2])); })
            .map(l => l.startsWith('m=video') ? l.split(' ').filter((p, i) => i < 3 || !rtx.has(p)).join(' ') : l).join('\r\n');
        }
        window.publish = async (session, grant) => {
          const canvas = document.querySelector('canvas'), g = canvas.getContext('2d');
          const noise = noiseCanvas(240, 120);
          let n = 0;
          setInterval(() => {
            g.fillStyle = `hsl(${(n * 3) % 360}, 60%, 50%)`; g.fillRect(0, 0, 640, 360);
            g.drawImage(noise, (n * 9) % 400, (n * 5) % 240);
            g.fillStyle = '#fff'; g.fillRect(20, 20, 200, 70); g.fillStyle = '#000'; g.font = '48px sans-serif'; g.fillText(String(n++), 30, 75);
          }, 33);
          pc = new RTCPeerConnection();
          const track = canvas.captureStream(30).getVideoTracks()[0];
          pc.addTransceiver(track, { direction: 'sendonly' });
          return negotiate('/whip/' + session, grant);
        };
        window.watch = (session, grant, rtx) => receive('/whep/' + session, grant, rtx ? s => s : withoutRtx, { 'X-Lilium-Test-Loss': '1' });
        window.stats = async () => {
          const report = await pc.getStats();
          const r = { framesDecoded: 0, packetsReceived: 0, packetsLost: 0, nackCount: 0, pliCount: 0, firCount: 0, retransmittedPacketsReceived: -1 };
          report.forEach(s => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
              r.framesDecoded = s.framesDecoded || 0; r.packetsReceived = s.packetsReceived || 0; r.packetsLost = s.packetsLost || 0;
              r.nackCount = s.nackCount || 0; r.pliCount = s.pliCount || 0; r.firCount = s.firCount || 0;
              r.retransmittedPacketsReceived = s.retransmittedPacketsReceived ?? -1;
            }
          });
          return r;
        };
        """);
}
