using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Lilium.Client.Tests;
using Lilium.Testing;

// make bench-failover: on the local fleet (API + signaling with the fleet tick every second, the ECS service and the
// registry on the :4566 endpoint, the relay supervisor running relay processes behind its load balancer):
//   first_frame_from_zero_s    POST /v1/sessions with 0 relays -> the viewer decodes its first frame (relay process
//                              start, registration, placement, WHIP, WHEP and the first keyframe included)
//   recovery_after_kill_s_*    kill -9 of the session's relay (2 relays running) -> the viewer decodes a frame from
//                              the other relay, with no user action; --kills times (10), p50 and max
// Every wait is bounded (--timeout seconds per step, 60). Writes --out (bench/results/failover.json).
var args_ = new BenchArgs(args);
var kills = args_.Number("--kills", 10);
var timeout = TimeSpan.FromSeconds(args_.Number("--timeout", 60));
var output = args_.Text("--out", Path.Combine(RepoPaths.Root, "bench/results/failover.json"));
void Log(string line) => Console.Error.WriteLine(line);

// The machine's load when the run starts (the figures are wall-clock times, so a busy machine inflates them).
var load = File.Exists("/proc/loadavg") && double.TryParse((await File.ReadAllTextAsync("/proc/loadavg")).Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var l) ? l : -1;
var postgres = new PostgresFixture();
var aws = new AwsEndpointFixture();
var stack = new FleetStack(postgres, aws);
await stack.InitializeAsync();
try
{
    await using var share = await FleetShare.StartAsync(stack, Log);
    await share.DecodeAsync(timeout);
    var fromZero = share.SinceCreated.Elapsed.TotalSeconds;
    Log($"first frame from zero relays: {fromZero:F2} s");

    await stack.SetDesiredAsync(2);
    await stack.WaitLiveAsync(2, timeout);
    var recoveries = new List<double>();
    for (var i = 0; i < kills; i++)
    {
        await stack.WaitLiveAsync(2, timeout); // the supervisor replaced the last one (as ECS does)
        var owner = await stack.OwnerAsync(share.Session) ?? throw new InvalidOperationException("The session has no relay.");
        var clock = Stopwatch.StartNew();
        await stack.SignalAsync(owner, 9);
        await share.DecodeAfterMoveAsync(owner, timeout);
        recoveries.Add(clock.Elapsed.TotalSeconds);
        Log($"kill {i + 1}/{kills} of {owner}: frames again from {share.Viewer!.RelayId} after {clock.Elapsed.TotalSeconds:F2} s");
    }

    recoveries.Sort();
    var json = new JsonObject
    {
        ["first_frame_from_zero_s"] = Math.Round(fromZero, 2),
        ["recovery_after_kill_s_p50"] = Math.Round(Percentiles.NearestRank(recoveries, 0.5), 2),
        ["recovery_after_kill_s_max"] = Math.Round(recoveries[^1], 2),
        ["kills"] = kills,
        ["recoveries_s"] = new JsonArray([.. recoveries.Select(r => (JsonNode)Math.Round(r, 2))]),
        ["method"] = "local fleet: in-process API and signaling (fleet tick every 1 s), moto ECS + DynamoDB on :4566, Lilium.RelaySupervisor running Lilium.Relay.dll processes (JIT) behind its load balancer; SDK RelayPublisher (320x240 VP8 test pattern, keyframe every 1 s) and RelayViewer; times until the viewer decodes a frame (libvpx)",
        ["machine"] = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
        ["load_average_1m_at_start"] = load,
        ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    await File.WriteAllTextAsync(output, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    return 0;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException or OperationCanceledException)
{
    Log("bench-failover: " + e.Message);
    Log(stack.SupervisorLog);
    return 1;
}
finally
{
    await stack.DisposeAsync();
}
