using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

/// <summary>
/// One path measured once: connect, wait for the first readable frame, let the sender's bitrate settle for the
/// warm-up, then a window of <c>seconds</c> in which the viewer records every presented frame's glass-to-glass time
/// and both pages' WebRTC statistics are taken at its start and end.
/// </summary>
internal static class Segment
{
    public static async Task<JsonObject> MeasureAsync(IGlassPath path, Browsers browsers, int run, int seconds, int warmupSeconds)
    {
        var result = new JsonObject { ["path"] = path.Name, ["run"] = run };
        var connecting = DateTimeOffset.UtcNow;
        try
        {
            await path.ConnectAsync(browsers.Host, browsers.Viewer).WaitAsync(TimeSpan.FromSeconds(60));
            await browsers.Viewer.EvaluateAsync("() => window.viewer.firstFrame(20000)");
            result["first_frame_ms"] = Math.Round((DateTimeOffset.UtcNow - connecting).TotalMilliseconds);
            await Task.Delay(TimeSpan.FromSeconds(warmupSeconds));

            // The two pages' clocks: each page's timeOrigin + now against its own Date.now(); their difference is
            // what the viewer's reading of a host time is off by (normally well under a millisecond).
            var hostSkew = await browsers.Host.EvaluateAsync<double>("() => window.host.skew()");
            var viewerSkew = await browsers.Viewer.EvaluateAsync<double>("() => window.viewer.skew()");
            var correction = viewerSkew - hostSkew;
            result["clock_correction_ms"] = Math.Round(correction, 3);

            var hostStart = await browsers.Host.EvaluateAsync<JsonElement>("() => window.host.stats()");
            await browsers.Viewer.EvaluateAsync("c => window.viewer.begin(c)", correction);
            await Task.Delay(TimeSpan.FromSeconds(seconds));
            var window = await browsers.Viewer.EvaluateAsync<JsonElement>("() => window.viewer.end()");
            var hostEnd = await browsers.Host.EvaluateAsync<JsonElement>("() => window.host.stats()");
            Summarize(result, window, hostStart, hostEnd);
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException or InvalidOperationException)
        {
            result["error"] = e.Message.Split('\n')[0];
            Console.Error.WriteLine($"bench-glass: {path.Name} run {run}: {e.Message}");
        }
        finally
        {
            await StopAsync(browsers.Viewer, "() => window.viewer.stop()");
            await StopAsync(browsers.Host, "() => window.host.stop()");
        }

        return result;
    }

    private static async Task StopAsync(IPage page, string script)
    {
        try
        {
            await page.EvaluateAsync(script).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is PlaywrightException or TimeoutException)
        {
            Console.Error.WriteLine($"bench-glass: stopping a page: {e.Message}");
        }
    }

    private static void Summarize(JsonObject result, JsonElement window, JsonElement hostStart, JsonElement hostEnd)
    {
        var latencies = window.GetProperty("latencies").EnumerateArray().Select(v => v.GetDouble()).Order().ToList();
        var start = window.GetProperty("start");
        var end = window.GetProperty("end");
        var windowSeconds = (Number(end, "at") - Number(start, "at")) / 1000;
        double Delta(string name) => Number(end, name) - Number(start, name);

        result["samples"] = latencies.Count;
        result["p50_ms"] = Round(Percentiles.NearestRank(latencies, 0.50));
        result["p95_ms"] = Round(Percentiles.NearestRank(latencies, 0.95));
        result["p99_ms"] = Round(Percentiles.NearestRank(latencies, 0.99));
        result["min_ms"] = latencies.Count > 0 ? Round(latencies[0]) : null;
        result["max_ms"] = latencies.Count > 0 ? Round(latencies[^1]) : null;
        var received = window.GetProperty("received").EnumerateArray().Select(v => v.GetDouble()).Order().ToList();
        result["to_receive_p50_ms"] = Round(Percentiles.NearestRank(received, 0.50));
        result["to_receive_p95_ms"] = Round(Percentiles.NearestRank(received, 0.95));
        result["kbps"] = Round(Delta("bytesReceived") * 8 / 1000 / windowSeconds);

        // The received size, sampled once a second: the median, the smallest, and the share of time at full size.
        var sizes = window.GetProperty("sizes").EnumerateArray().Select(s => (W: s[0].GetInt32(), H: s[1].GetInt32())).Where(s => s.W > 0).OrderBy(s => s.W).ToList();
        if (sizes.Count > 0)
        {
            var median = sizes[(sizes.Count - 1) / 2];
            result["width"] = median.W;
            result["height"] = median.H;
            result["min_width"] = sizes[0].W;
            result["full_size_pct"] = Round(100.0 * sizes.Count(s => s.W >= 1280) / sizes.Count);
        }

        // Frames: what the decoder produced, what the viewer read back, and what the host drew that never showed.
        var frames = Unwrap(window.GetProperty("frames").EnumerateArray().Select(f => f.GetInt32()));
        result["frames_decoded"] = (long)Delta("framesDecoded");
        result["frames_read"] = frames.Count;
        result["fps"] = Round(frames.Count / windowSeconds);
        if (frames.Count > 1)
        {
            var expected = frames.Max() - frames.Min() + 1;
            result["frames_missed_pct"] = Round(100.0 * (expected - frames.Distinct().Count()) / expected);
        }

        result["unreadable_frames"] = window.GetProperty("unreadable").GetInt32();
        result["freezes"] = (long)Delta("freezeCount");
        result["freeze_s"] = Round(Delta("totalFreezesDuration"));
        result["presented_freezes"] = PresentedFreezes(window.GetProperty("presented").EnumerateArray().Select(t => t.GetDouble()).ToList());
        result["packets_lost"] = (long)Delta("packetsLost");
        result["nacks_sent"] = (long)Delta("nackCount");
        result["plis_sent"] = (long)Delta("pliCount");
        var emitted = Delta("jitterBufferEmittedCount");
        result["jitter_buffer_ms"] = emitted > 0 ? Round(Delta("jitterBufferDelay") / emitted * 1000) : null;
        result["decoder"] = end.GetProperty("decoderImplementation").ToString();
        result["codec"] = end.GetProperty("codec").ToString();
        result["window_s"] = Round(windowSeconds);

        if (hostEnd.ValueKind == JsonValueKind.Object && hostStart.ValueKind == JsonValueKind.Object)
        {
            double HostDelta(string name) => Number(hostEnd, name) - Number(hostStart, name);
            var sent = HostDelta("bytesSent") * 8 / 1000 / windowSeconds;
            var limits = new JsonObject();
            var before = hostStart.GetProperty("qualityLimitationDurations");
            foreach (var reason in hostEnd.GetProperty("qualityLimitationDurations").EnumerateObject().Where(r => !r.Name.StartsWith('$')))
            {
                limits[reason.Name] = Round(Number(hostEnd.GetProperty("qualityLimitationDurations"), reason.Name) - Number(before, reason.Name));
            }

            result["host"] = new JsonObject
            {
                ["sent_kbps"] = Round(sent),
                ["fps_drawn"] = Round((Number(hostEnd, "frame") - Number(hostStart, "frame") + 65536) % 65536 / windowSeconds),
                ["fps_encoded"] = Round(HostDelta("framesEncoded") / windowSeconds),
                ["target_kbps"] = Round(Number(hostEnd, "targetBitrate") / 1000),
                ["width"] = Number(hostEnd, "frameWidth"),
                ["height"] = Number(hostEnd, "frameHeight"),
                ["limited_by_at_end"] = hostEnd.GetProperty("qualityLimitationReason").ToString(),
                ["quality_limitation_s"] = limits,
                ["encoder"] = hostEnd.GetProperty("encoderImplementation").ToString(),
                ["nacks_received"] = HostDelta("nackCount"),
                ["plis_received"] = HostDelta("pliCount"),
            };
        }
    }

    // The frame counter is 16 bits: unwrap it into a running sequence.
    private static List<int> Unwrap(IEnumerable<int> counters)
    {
        var unwrapped = new List<int>();
        var previous = -1;
        var offset = 0;
        foreach (var c in counters)
        {
            if (previous >= 0 && c < previous && previous - c > 32768)
            {
                offset += 65536;
            }

            unwrapped.Add(c + offset);
            previous = c;
        }

        return unwrapped;
    }

    // A freeze as WebRTC's statistics define it, counted on what the page was shown: a gap between presented frames
    // longer than max(3 x the mean of the previous 30 gaps, that mean + 150 ms).
    private static int PresentedFreezes(List<double> presented)
    {
        var gaps = new List<double>();
        var freezes = 0;
        for (var i = 1; i < presented.Count; i++)
        {
            var gap = presented[i] - presented[i - 1];
            if (gaps.Count >= 5)
            {
                var mean = gaps.TakeLast(30).Average();
                if (gap > Math.Max(3 * mean, mean + 150))
                {
                    freezes++;
                }
            }

            gaps.Add(gap);
        }

        return freezes;
    }

    // A statistic as a number: absent or not a number (a browser that lacks it) reads as 0.
    private static double Number(JsonElement stats, string name) =>
        stats.ValueKind == JsonValueKind.Object && stats.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    private static double? Round(double value) => double.IsNaN(value) || double.IsInfinity(value) ? null : Math.Round(value, 1);
}
