using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>
/// Transport-wide congestion control with real Chromium peers on loopback (issue 25 item 2). A Chromium page publishes a
/// 1280×720 canvas with a moving high-detail texture through WHIP to the relay (in process); the relay answers with
/// transport-wide CC feedback, so Chromium's send-side estimator and encoder ramp up. A second context watches through
/// WHEP and sends transport-wide feedback for the relay's per-subscriber estimator.
/// </summary>
[Trait("Category", "Browser")]
public sealed class TransportCcBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>What the publisher's encoder must reach within <see cref="Publishing"/> with transport feedback.</summary>
    private const double RequiredBps = 1_500_000;

    private static readonly TimeSpan Publishing = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The same page publishes twice, each time to a fresh relay: first with transport-wide CC removed from the offer it sends
    /// (so the relay answers as it did before it generated feedback: REMB and receiver reports only — the control),
    /// then with the offer as Chromium made it. Only the second may, and must, reach <see cref="RequiredBps"/>.
    /// </summary>
    [Fact]
    public async Task Chromium_publishing_720p_through_whip_ramps_up_with_transport_feedback()
    {
        // Each phase has its own relay and browser: run on one, the second publisher sometimes did not act on the
        // feedback it was sent (Chromium's estimate grew as in the control), which separate processes rule out.
        var without = await PublishAndSampleAsync(transportCc: false);
        var with = await PublishAndSampleAsync(transportCc: true);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"reached {without / 1e6:F2} Mbit/s without transport feedback, {with / 1e6:F2} Mbit/s with it"));
        Assert.True(without < RequiredBps, $"without feedback the publisher reached {without / 1e6:F2} Mbit/s: the threshold does not tell the two apart");
        Assert.True(with >= RequiredBps, $"the publisher reached {with / 1e6:F2} Mbit/s, below {RequiredBps / 1e6:F2}");
    }

    private async Task<double> PublishAndSampleAsync(bool transportCc)
    {
        await using var run = await StartAsync();
        var host = await run.OpenAsync();
        var status = await run.PublishAsync(host, transportCc);
        Assert.Equal(201, status);
        var answer = await host.EvaluateAsync<string>("() => pc.remoteDescription.sdp");
        Assert.Equal(transportCc, answer.Contains("transport-wide-cc", StringComparison.Ordinal));
        output.WriteLine(transportCc ? "with transport-wide CC:" : "without transport-wide CC (the control):");
        var feedbackBefore = await run.MetricAsync("lilium_relay_twcc_feedback_sent_total");
        var best = await SampleAsync(host, Publishing);
        var feedback = await run.MetricAsync("lilium_relay_twcc_feedback_sent_total") - feedbackBefore;
        output.WriteLine($"the relay sent {feedback} transport feedback packets to this publisher");
        Assert.Equal(transportCc, feedback > 0);
        await host.Context.CloseAsync();
        return best;
    }

    [Fact]
    public async Task A_chromium_viewer_sends_transport_feedback_the_relay_counts()
    {
        await using var run = await StartAsync();
        var host = await run.OpenAsync();
        var viewer = await run.OpenAsync();
        Assert.Equal(201, await run.PublishAsync(host, true));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        await run.WatchAsync(viewer, deadline);

        // The viewer decodes what the publisher sends (1280×720 at ~2.4 Mbit/s here); on the loaded VM Chromium's software
        // decoding of this texture is slow, so the bar is that video flows, not a frame rate.
        var frames = 0;
        JsonElement stats = default;
        while (DateTime.UtcNow < deadline + TimeSpan.FromSeconds(20) && frames < 30)
        {
            await Task.Delay(500);
            stats = await viewer.EvaluateAsync<JsonElement>("() => window.stats()");
            frames = stats.GetProperty("framesDecoded").GetInt32();
        }

        // A healthy viewer on loopback must not hold the publisher back: its estimate stays above what is sent, so the
        // REMB (the lowest subscriber estimate) leaves the publisher's encoder where its own estimate puts it.
        output.WriteLine("publisher while watched:");
        var watched = await SampleAsync(host, TimeSpan.FromSeconds(6));
        var feedback = await run.MetricAsync("lilium_relay_twcc_feedback_received_total");
        var sent = await run.MetricAsync("lilium_relay_twcc_feedback_sent_total");
        output.WriteLine($"viewer {stats}; relay: {feedback} feedback packets received, {sent} sent");
        Assert.True(frames >= 30, $"the viewer decoded {frames} frames");
        Assert.True(feedback >= 20, $"the relay counted {feedback} transport feedback packets from the viewer");
        Assert.True(sent >= 20, $"the relay sent {sent} transport feedback packets to the publisher");
        Assert.True(watched >= RequiredBps, $"with a viewer the publisher reached {watched / 1e6:F2} Mbit/s");
    }

    /// <summary>Samples the publisher's video sender every second; returns the highest of its target and measured send rates.</summary>
    private async Task<double> SampleAsync(IPage host, TimeSpan duration)
    {
        var best = 0.0;
        var until = DateTime.UtcNow + duration;
        double? lastBytes = null;
        double lastAt = 0;
        while (DateTime.UtcNow < until)
        {
            await Task.Delay(1000);
            var s = await host.EvaluateAsync<JsonElement>("() => window.stats()");
            var bytes = s.GetProperty("bytesSent").GetDouble();
            var at = s.GetProperty("timestamp").GetDouble();
            var rate = lastBytes is { } b && at > lastAt ? (bytes - b) * 8 * 1000 / (at - lastAt) : 0;
            lastBytes = bytes;
            lastAt = at;
            var target = s.GetProperty("targetBitrate").GetDouble();
            var available = s.GetProperty("availableOutgoingBitrate").GetDouble();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"target {target / 1e6:F2} Mbit/s, sending {rate / 1e6:F2} Mbit/s, estimate {available / 1e6:F2} Mbit/s, {s.GetProperty("frameWidth")}x{s.GetProperty("frameHeight")}, limitation {s.GetProperty("limitation")}"));
            best = Math.Max(best, Math.Min(target, Math.Max(rate, target * 0.5))); // a target the encoder does not reach does not count
        }

        return best;
    }

    private static Task<RelayBrowserRun> StartAsync() =>
        RelayBrowserRun.StartAsync(new RelayBrowserOptions { PageName = "twcc-test", Page = Page });

    // The host draws a 1280×720 canvas 30 times a second: a noise texture (made once) shifted each frame plus a counter,
    // detail an encoder needs megabits for. Its track is hinted as screen content ('detail', what getDisplayMedia gives a
    // screen share), so the encoder keeps 1280×720 and lowers the frame rate rather than the resolution. Without the hint
    // it starts at 320×180 when its first estimate is low, whose bitrate ceiling is 0.6 Mbit/s, and this texture never
    // lets its quality scaler go back up. getStats gives the video sender's target and bytes and the transport estimate.
    // publish(…, false) removes transport-wide CC from the offer it sends (the control).
    private static readonly string Page = RelayBrowserRun.Page("TWCC", 1280, 720, """
        window.publish = async (session, grant, twcc) => {
          const canvas = document.querySelector('canvas'), g = canvas.getContext('2d');
          const noise = noiseCanvas(1600, 900);
          let n = 0;
          setInterval(() => {
            g.drawImage(noise, -((n * 13) % 320), -((n * 7) % 180));
            g.fillStyle = '#fff'; g.fillRect(40, 40, 260, 90); g.fillStyle = '#000'; g.font = '64px sans-serif'; g.fillText(String(n++), 60, 110);
          }, 33);
          pc = new RTCPeerConnection();
          const track = canvas.captureStream(30).getVideoTracks()[0];
          track.contentHint = 'detail';
          pc.addTransceiver(track, { direction: 'sendonly' });
          return negotiate('/whip/' + session, grant, twcc ? s => s : s => s.split('\r\n').filter(l => !l.includes('transport-wide-cc') && !l.endsWith(' transport-cc')).join('\r\n'));
        };
        window.watch = (session, grant) => receive('/whep/' + session, grant);
        window.stats = async () => {
          const report = await pc.getStats();
          const r = { framesDecoded: 0, bytesSent: 0, targetBitrate: 0, availableOutgoingBitrate: 0, frameWidth: 0, frameHeight: 0, limitation: '', timestamp: performance.now() };
          report.forEach(s => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
              r.framesDecoded = s.framesDecoded || 0; r.framesReceived = s.framesReceived || 0; r.packetsLost = s.packetsLost || 0;
              r.nackCount = s.nackCount || 0; r.pliCount = s.pliCount || 0; r.bytesReceived = s.bytesReceived || 0; r.frameWidth = s.frameWidth || 0;
            }
            if (s.type === 'outbound-rtp' && s.kind === 'video') {
              r.bytesSent = s.bytesSent || 0; r.targetBitrate = s.targetBitrate || 0; r.frameWidth = s.frameWidth || 0; r.frameHeight = s.frameHeight || 0;
              r.limitation = s.qualityLimitationReason || ''; r.timestamp = s.timestamp;
            }
            if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) r.availableOutgoingBitrate = s.availableOutgoingBitrate;
          });
          return r;
        };
        """);
}
