using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Client.Media;
using Lilium.Input;
using Lilium.Testing;

// make bench-input: the relay runs as its own process pinned to one core (taskset -c RELAY_CPU); this process (pinned to
// another core by run.sh) is the host and the viewers, all through the SDK over real UDP/DTLS/SCTP. Each viewer sends
// absolute mouse moves open-loop at --rate events/s on its unordered input channel; the event's coordinates carry its
// send counter, so the host side matches each forwarded event to its send time (same clock). The latency reported as
// relay-added is the whole viewer-to-host path (viewer SCTP/DTLS, loopback, relay check and re-encryption, host
// SCTP/DTLS): an upper bound of what the relay adds. See docs/input.md, "Benchmark".
var cli = new BenchArgs(args);
var steps = cli.Numbers("--viewers", [1, 2, 5, 10]);
var rate = cli.Number("--rate", 1000);
var seconds = cli.Number("--seconds", 5);
var warmup = cli.Number("--warmup", 2);
var relayCpu = cli.Text("--relay-cpu", "0");
var output = cli.Text("--out", "bench/results/input.json");
var relayDll = cli.Text("--relay", "media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll");

var keys = TokenKeys.Generate();
var httpPort = Ports.FreeTcp();
var mediaPort = Ports.FreeUdp();
using var relay = PinnedProcess.Start(relayCpu, "dotnet", [relayDll, "--urls", $"http://127.0.0.1:{httpPort}"], new Dictionary<string, string>
{
    ["RELAY_KEY"] = keys.RelayKey, // the relay takes the relay key alone (docs/security.md)
    ["RELAY_MEDIA_PORT"] = mediaPort.ToString(CultureInfo.InvariantCulture),
    ["RELAY_BIND_ADDRESS"] = "127.0.0.1",
    ["RELAY_PUBLIC_IP"] = "127.0.0.1", // loopback is advertised only when said outright (issue 24)
    ["Logging__LogLevel__Default"] = "Warning",
}, "relay: ");
var baseUri = new Uri($"http://127.0.0.1:{httpPort}");
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
var results = new List<StepResult>();
try
{
    await RelayHealth.WaitAsync(http, baseUri);
    foreach (var viewers in steps)
    {
        results.Add(await RunStepAsync(viewers));
    }
}
finally
{
    PinnedProcess.Stop(relay);
}

var first = results[0];
var summary = new Dictionary<string, object?>
{
    ["events_per_s"] = first.EventsPerSecond,
    ["p99_relay_added_ms"] = first.RelayP99Ms,
    ["p50_relay_added_ms"] = first.RelayP50Ms,
    ["p99_end_to_end_ms"] = first.P99Ms,
    ["p50_end_to_end_ms"] = first.P50Ms,
    ["viewers"] = first.Viewers,
    ["rate_per_viewer"] = rate,
    ["target_p99_ms"] = 2.0,
    ["latency_scope"] = "relay_added: viewer datagram reaching the relay's media loop to the forwarded record leaving for the host (relay histogram, bucket upper bound); end_to_end: viewer SendInput to host event (both clients' SCTP/DTLS and loopback included)",
    ["steps"] = results,
    ["machine"] = $"{Environment.ProcessorCount} cores; relay pinned to CPU {relayCpu}, clients on another",
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
return 0;

async Task<StepResult> RunStepAsync(int viewerCount)
{
    var session = Guid.NewGuid();
    await using var host = await MediaPublisher.ConnectAsync(http, baseUri, session, Grant(session, RelayRole.Host, Guid.NewGuid(), InputPermissions.None));
    var users = Enumerable.Range(0, viewerCount).Select(_ => Guid.NewGuid()).ToArray();
    var viewers = new List<MediaViewer>();
    foreach (var user in users)
    {
        viewers.Add(await MediaViewer.ConnectAsync(http, baseUri, session, Grant(session, RelayRole.Viewer, user, InputPermissions.Mouse)));
    }

    var index = users.Select((u, i) => (u, i)).ToDictionary(p => p.u, p => p.i);
    var total = (warmup + seconds) * rate;
    var sentAt = viewers.Select(_ => new long[total]).ToArray();
    var receivedAt = viewers.Select(_ => new long[total]).ToArray();
    using var stop = new CancellationTokenSource();
    var seen = 0;
    var receiver = Task.Run(async () =>
    {
        try
        {
            await foreach (var e in host.ReadInputAsync(stop.Token))
            {
                var now = Stopwatch.GetTimestamp();
                if (Interlocked.Increment(ref seen) <= 2 && Environment.GetEnvironmentVariable("BENCH_INPUT_DEBUG") == "1")
                {
                    Console.Error.WriteLine($"host got {e} (viewer known: {index.ContainsKey(e.Viewer)})");
                }
                if (e.Event is MouseMoveEvent { Relative: false } move && index.TryGetValue(e.Viewer, out var v))
                {
                    var counter = move.X | (move.Y << 16);
                    if (counter < total)
                    {
                        receivedAt[v][counter] = now;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    });

    // Open loop: each event has its due time; the sender catches up in a burst if it fell behind.
    var origin = Stopwatch.GetTimestamp();
    var cpu0 = RelayCpuSeconds();
    var measureStart = 0L;
    var sender = Task.Factory.StartNew(() =>
    {
        for (var counter = 0; counter < total; counter++)
        {
            // Sleep (never spin: the clients share one core with their SCTP timers and receive loops) until due;
            // events that fell due during a sleep go out together, each stamped when actually sent.
            var due = origin + (long)((double)counter / rate * Stopwatch.Frequency);
            while (Stopwatch.GetTimestamp() < due)
            {
                Thread.Sleep(1);
            }

            if (counter == warmup * rate)
            {
                measureStart = Stopwatch.GetTimestamp();
                cpu0 = RelayCpuSeconds();
            }

            for (var v = 0; v < viewers.Count; v++)
            {
                sentAt[v][counter] = Stopwatch.GetTimestamp();
                viewers[v].SendInput(new MouseMoveEvent(false, counter & 0xFFFF, counter >> 16));
            }
        }
    }, TaskCreationOptions.LongRunning);
    await Task.Delay(TimeSpan.FromSeconds(warmup));
    var routeBefore = await RouteHistogramAsync();
    await sender;
    var routeAfter = await RouteHistogramAsync();
    var measureEnd = Stopwatch.GetTimestamp();
    var cpu1 = RelayCpuSeconds();
    await Task.Delay(500);
    await stop.CancelAsync();
    await receiver;
    foreach (var viewer in viewers)
    {
        await viewer.DisposeAsync();
    }

    var latencies = new List<double>();
    var lost = 0;
    for (var v = 0; v < viewers.Count; v++)
    {
        for (var c = warmup * rate; c < total; c++)
        {
            if (receivedAt[v][c] == 0)
            {
                lost++;
            }
            else
            {
                latencies.Add((receivedAt[v][c] - sentAt[v][c]) * 1000.0 / Stopwatch.Frequency);
            }
        }
    }

    latencies.Sort();
    if (Environment.GetEnvironmentVariable("BENCH_INPUT_DEBUG") == "1")
    {
        Console.Error.WriteLine($"seen {seen}, received entries {receivedAt[0].Count(x => x != 0)}, first received index {Array.FindIndex(receivedAt[0], x => x != 0)}, last {Array.FindLastIndex(receivedAt[0], x => x != 0)}, total {total}");
    }

    var elapsed = (measureEnd - measureStart) / (double)Stopwatch.Frequency;
    var routed = routeAfter.Select(b => (b.Le, routeAfter.First(a => a.Le == b.Le).Count - (routeBefore.FirstOrDefault(x => x.Le == b.Le).Count))).ToList();
    var step = new StepResult(
        viewerCount,
        Math.Round(HistogramQuantile(routed, 0.50) * 1000, 3),
        Math.Round(HistogramQuantile(routed, 0.99) * 1000, 3),
        Math.Round(latencies.Count / elapsed),
        Math.Round(Percentile(latencies, 0.50), 3),
        Math.Round(Percentile(latencies, 0.99), 3),
        Math.Round(latencies.Count == 0 ? 0 : latencies[^1], 3),
        lost,
        Math.Round((cpu1 - cpu0) / elapsed, 3));
    Console.Error.WriteLine(JsonSerializer.Serialize(step));
    if (Environment.GetEnvironmentVariable("BENCH_INPUT_DEBUG") == "1")
    {
        Console.Error.WriteLine(string.Join('\n', (await http.GetStringAsync(new Uri(baseUri, "/metrics"))).Split('\n').Where(l => l.StartsWith("lilium_relay_input", StringComparison.Ordinal) || l.StartsWith("lilium_relay_datachannel", StringComparison.Ordinal))));
    }
    return step;
}

// Prometheus-style: the upper bound of the bucket where the quantile falls (cumulative counts).
static double HistogramQuantile(List<(double Le, long Count)> cumulative, double q)
{
    var total = cumulative.Count == 0 ? 0 : cumulative[^1].Count;
    if (total == 0)
    {
        return 0;
    }

    foreach (var (le, count) in cumulative)
    {
        if (count >= q * total)
        {
            return double.IsInfinity(le) ? cumulative[^2].Le : le;
        }
    }

    return cumulative[^1].Le;
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? 0 : Percentiles.NearestRank(sorted, p);

async Task<List<(double Le, long Count)>> RouteHistogramAsync()
{
    var text = await http.GetStringAsync(new Uri(baseUri, "/metrics"));
    var buckets = new List<(double, long)>();
    foreach (var line in text.Split('\n'))
    {
        const string prefix = "lilium_relay_input_route_seconds_bucket{le=\"";
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            continue;
        }

        var end = line.IndexOf('"', prefix.Length);
        var le = line[prefix.Length..end];
        buckets.Add((le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), long.Parse(line[(end + 3)..], CultureInfo.InvariantCulture)));
    }

    return buckets;
}

double RelayCpuSeconds()
{
    try
    {
        var stat = File.ReadAllText($"/proc/{relay.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
    catch (IOException)
    {
        return 0;
    }
}


string Grant(Guid session, RelayRole role, Guid user, InputPermissions permissions)
{
    var now = DateTimeOffset.UtcNow;
    return keys.RelayCodec().Issue(new RelayGrantClaims
    {
        Subject = user,
        Permissions = permissions,
        IssuedAt = now.ToUnixTimeSeconds(),
        ExpiresAt = now.AddHours(1).ToUnixTimeSeconds(),
        SessionId = session,
        Role = role,
    });
}



internal sealed record StepResult(
    [property: System.Text.Json.Serialization.JsonPropertyName("viewers")] int Viewers,
    [property: System.Text.Json.Serialization.JsonPropertyName("relay_p50_ms")] double RelayP50Ms,
    [property: System.Text.Json.Serialization.JsonPropertyName("relay_p99_ms")] double RelayP99Ms,
    [property: System.Text.Json.Serialization.JsonPropertyName("events_per_s")] double EventsPerSecond,
    [property: System.Text.Json.Serialization.JsonPropertyName("end_to_end_p50_ms")] double P50Ms,
    [property: System.Text.Json.Serialization.JsonPropertyName("end_to_end_p99_ms")] double P99Ms,
    [property: System.Text.Json.Serialization.JsonPropertyName("max_ms")] double MaxMs,
    [property: System.Text.Json.Serialization.JsonPropertyName("lost")] int Lost,
    [property: System.Text.Json.Serialization.JsonPropertyName("relay_cpu_cores")] double RelayCpuCores);
