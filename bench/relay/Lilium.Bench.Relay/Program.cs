using System.Globalization;
using System.Text.Json;

// make bench-relay: each SFU under test runs as its own process pinned to one core (taskset -c RELAY_CPU); this
// generator (pinned to another core by run.sh) publishes one synthetic SRTP video stream (~250 packets/s of 1,200
// bytes, a 1080p screen share at ~2.5 Mbit/s; towards our relay with two lower simulcast layers beside it,
// BenchLayers) and adds subscribers step by step (LoadRun). First our relay through
// WHIP/WHEP, then, when Debian's janus is installed, the same load through Janus's VideoRoom in the same run.
// Between them, the floor (Forwarder.cs): a do-nothing forwarder on the same core under the same load, the least
// latency any SFU can add on this machine. See docs/relay.md, "Benchmark".
var cli = new BenchArgs(args);
if (cli.Number("--forwarder", 0) is var forwarderPort and > 0)
{
    return Forwarder.Run(forwarderPort);
}

var steps = cli.Numbers("--steps", [50, 100, 175, 250, 350, 500, 750, 1000, 1250, 1500]);
var seconds = cli.Number("--seconds", 5);
var relayCpu = cli.Text("--relay-cpu", "0");
var sfuCpu = cli.Number("--relay-cpu", 0);
var output = cli.Text("--out", "bench/results/relay.json");
var relayDll = cli.Text("--relay", "media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll");
var withJanus = cli.Text("--janus", "auto") switch
{
    "off" => false,
    "on" => true,
    _ => File.Exists(JanusVideoRoom.Binary),
};

LoadRun.Outcome ours;
bool simulcast, feedback;
await using (var relay = await LiliumRelay.StartAsync(relayDll, relayCpu))
{
    (simulcast, feedback) = (relay.Simulcast, relay.Feedback);
    ours = await new LoadRun(relay, sfuCpu, steps, seconds).RunAsync();
}

LoadRun.Outcome? floor = null;
if (cli.Text("--floor", "on") != "off")
{
    await using var forwarder = FloorSfu.Start(relayCpu);
    floor = await new LoadRun(forwarder, sfuCpu, steps, seconds).RunAsync();
}

var floorAtHalfLoad = ours.HalfLoad is { } half ? floor?.At((int)half["subscribers"]) : null;
LoadRun.Outcome? janus = null;
string janusNote;
if (withJanus)
{
    await using var room = await JanusVideoRoom.StartAsync(relayCpu);
    janus = await new LoadRun(room, sfuCpu, steps, seconds).RunAsync();
    janusNote = "Janus (Debian package) VideoRoom, ICE-lite, same core, same generator, same steps, measured after our relay in this run";
}
else
{
    janusNote = File.Exists(JanusVideoRoom.Binary)
        ? "not measured: --janus off (BENCH_RELAY_JANUS=off)"
        : $"not measured: {JanusVideoRoom.Binary} is not installed (scripts/install-deps.sh bench installs Debian's janus)";
}

var result = new Dictionary<string, object?>
{
    ["simulcast"] = simulcast,
    ["simulcast_layers"] = simulcast ? BenchLayers.All.Length : 1,
    ["feedback"] = feedback,
    ["layers"] = ours.Best?.GetValueOrDefault("layers"),
    ["subscriber_streams_per_core"] = ours.PerCore,
    ["subscriber_streams_per_process_core"] = ours.PerProcessCore,
    ["max_clean_subscribers"] = ours.MaxCleanSubscribers,
    ["max_prompt_subscribers"] = ours.MaxPromptSubscribers,
    ["p50_added_ms"] = ours.HalfLoad?["p50_added_ms"],
    ["p99_added_ms"] = ours.HalfLoad?["p99_added_ms"],
    ["latency_at_subscribers"] = ours.HalfLoad?["subscribers"],
    ["loss_pct"] = ours.Best?["loss_pct"],
    ["floor_p50_added_ms"] = floorAtHalfLoad?["p50_added_ms"],
    ["floor_p99_added_ms"] = floorAtHalfLoad?["p99_added_ms"],
    ["floor_max_clean_subscribers"] = floor?.MaxCleanSubscribers,
    ["floor_note"] = floor is null
        ? "not measured: --floor off"
        : "the same load through a forwarder that only hands each publisher datagram, unchanged, to every subscriber with sendmmsg (no SRTP, no rewriting), on the same core: the least any SFU can add here; floor_p50/p99 are at latency_at_subscribers",
    ["janus_subscriber_streams_per_core"] = janus?.PerCore,
    ["janus_subscriber_streams_per_process_core"] = janus?.PerProcessCore,
    ["janus_max_clean_subscribers"] = janus?.MaxCleanSubscribers,
    ["janus_max_prompt_subscribers"] = janus?.MaxPromptSubscribers,
    ["janus_p50_added_ms"] = janus?.HalfLoad?["p50_added_ms"],
    ["janus_p99_added_ms"] = janus?.HalfLoad?["p99_added_ms"],
    ["ratio_to_janus"] = ours.PerCore is { } a && janus?.PerCore is { } b && b > 0 ? Math.Round(a / b, 2) : null,
    ["janus_note"] = janusNote,
    ["floor_simulcast"] = false,
    ["floor_feedback"] = false,
    ["janus_simulcast"] = false,
    ["janus_feedback"] = false,
    ["simulcast_note"] = "our relay's publisher sends three RID layers (q/h/f; BENCH_RELAY_SIMULCAST=off: the full layer alone) and its subscribers send transport-wide CC feedback every 50 ms (BENCH_RELAY_TWCC=off: none), so the relay's estimator and layer selection run per subscriber; the floor and Janus get the full layer alone (Janus VideoRoom simulcast is not driven) and no feedback. loss_pct counts full-layer packets, so a subscriber moved down a layer counts as loss; per step, layers = subscribers on each layer at its end, own_layer_loss_pct = loss on the layer each subscriber was on",
    ["packet_bytes"] = LoadRun.PacketSize,
    ["publisher_packets_per_s"] = LoadRun.PacketsPerSecond,
    ["publisher_layers"] = (simulcast ? BenchLayers.All : [BenchLayers.All[BenchLayers.Full]]).Select(l => new Dictionary<string, object>
    {
        ["rid"] = l.Rid,
        ["packets_per_s"] = LoadRun.PacketsPerSecond * l.PacketsPerFrame / (double)BenchLayers.SlotsPerFrame,
        ["packet_bytes"] = l.PayloadSize + Lilium.WebRtc.Rtp.RtpHeader.FixedSize,
    }).ToList(),
    ["relay_pinned_to_cpu"] = PinnedProcess.CanPin ? relayCpu : "not pinned (no taskset)",
    ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "",
    ["cpu"] = CpuModel(),
    ["method"] = "per step: window of publisher sequence numbers; loss = unmarked (subscriber, full-layer seq) pairs; latency = publisher send time (CLOCK_REALTIME, just before sendto) to the kernel's receive timestamp on the subscriber's socket (SO_TIMESTAMPNS), every 10th full-layer packet of every subscriber; subscribers are drained by one generator thread with recvmmsg every 10 ms; relay_cpu_cores = SFU process CPU (/proc/<pid>/stat); relay_core_busy = busy time of the SFU's pinned core incl. softirq (/proc/stat: on loopback the receivers' delivery runs there); per core = subscribers / min(relay_core_busy, 1) at the largest step with loss < 0.1 %",
    ["stopped_because"] = ours.StoppedBecause,
    ["steps"] = ours.Steps,
    ["floor_steps"] = floor?.Steps,
    ["janus_stopped_because"] = janus?.StoppedBecause,
    ["janus_steps"] = janus?.Steps,
};
var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, json);
Console.WriteLine(json);
return 0;

static string CpuModel() =>
    File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "" : "";


