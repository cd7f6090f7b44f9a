using System.Globalization;
using System.Text.Json.Nodes;

// make bench-glass (bench/glass/run.sh): glass-to-glass latency at 1280x720, 30 fps. A host page in one Chromium
// draws a frame counter and its send time as black/white blocks into a canvas with moving high-detail content and
// publishes it; a viewer page in a second Chromium reads the number back from each presented frame's pixels. Three
// paths, alternated within each run: our relay (WHIP/WHEP), Janus's VideoRoom (Debian's janus), and a direct peer
// connection between the two browsers (the floor). Each figure is the median of the runs' figures. docs/relay.md,
// "Glass-to-glass".
var cli = new BenchArgs(args);
var seconds = cli.Number("--seconds", 60);
var runs = cli.Number("--runs", 3);
var warmup = cli.Number("--warmup", 10);
var output = cli.Text("--out", "bench/results/glass.json");
var relayDll = cli.Text("--relay", "media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll");
var pages = cli.Text("--pages", "bench/glass/pages");
var contentHint = cli.Text("--content-hint", "");
var noise = cli.Text("--noise", "on") != "off";
var pathNames = cli.Text("--paths", "relay,janus,direct").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
if (seconds < 1 || runs < 1 || warmup < 0 || pathNames.Length == 0 || pathNames.Any(p => p is not ("relay" or "janus" or "direct")))
{
    Console.Error.WriteLine("bench-glass: --seconds and --runs must be at least 1, --warmup at least 0, and --paths a list of relay, janus, direct");
    return 2;
}

var allCpus = $"0-{Environment.ProcessorCount - 1}"; // nothing pinned: the browsers, relay and Janus share the machine
var loadBefore = BenchJson.LoadAverage();
await using var site = await PageServer.StartAsync(pages);
await using var relay = await RelayProcess.StartAsync(relayDll, site.OriginHeader, allCpus);
var janusNote = "Debian's janus VideoRoom (HTTP API driven by the pages), ICE-lite, VP8, no bitrate cap";
using var janus = pathNames.Contains("janus") && JanusServer.Installed ? await JanusServer.StartAsync(allCpus, site.OriginHeader) : null;
if (janus is null && pathNames.Contains("janus"))
{
    janusNote = $"not measured: {JanusServer.Binary} is not installed (scripts/install-deps.sh bench installs it)";
}

await using var browsers = await Browsers.StartAsync(site.Origin, contentHint, noise);
var codeFailures = await browsers.Host.EvaluateAsync<string[]>("() => window.host.selfCheck()");
if (codeFailures.Length > 0)
{
    Console.Error.WriteLine("bench-glass: the pixel code does not read back from known pictures: " + string.Join("; ", codeFailures));
    return 1;
}

var paths = new List<IGlassPath>();
foreach (var name in pathNames)
{
    IGlassPath? path = name switch
    {
        "relay" => new RelayPath(relay),
        "janus" => janus is null ? null : new JanusPath(janus),
        _ => new DirectPath(),
    };
    if (path is not null)
    {
        paths.Add(path);
    }
}

// Alternate the paths, and start each run with the next one, so no path always runs first or last.
var segments = new List<JsonObject>();
for (var run = 1; run <= runs; run++)
{
    for (var i = 0; i < paths.Count; i++)
    {
        var path = paths[(i + run - 1) % paths.Count];
        Console.Error.WriteLine($"bench-glass: run {run}/{runs}, {path.Name}, {seconds} s (+{warmup} s warm-up)");
        var segment = await Segment.MeasureAsync(path, browsers, run, seconds, warmup);
        Console.Error.WriteLine($"bench-glass:   {segment.ToJsonString()}");
        segments.Add(segment);
    }
}

double? Median(string path, string field)
{
    var values = segments.Where(s => (string?)s["path"] == path && s["error"] is null && s[field] is not null).Select(s => ToDouble(s[field]!)).Order().ToArray();
    return values.Length == 0 ? null : Math.Round(Percentiles.Median(values), 1);
}

double? HostMedian(string path, string field)
{
    var values = segments.Where(s => (string?)s["path"] == path && s["host"] is JsonObject).Select(s => ToDouble(s["host"]![field]!)).Order().ToArray();
    return values.Length == 0 ? null : Math.Round(Percentiles.Median(values), 1);
}

static double ToDouble(JsonNode number) => double.Parse(number.ToJsonString(), CultureInfo.InvariantCulture);

int Measured(string path) => segments.Count(s => (string?)s["path"] == path && s["error"] is null);

var p50 = Median("relay", "p50_ms");
var p95 = Median("relay", "p95_ms");
var kbps = Median("relay", "kbps");
var width = Median("relay", "width");
var directP50 = Median("direct", "p50_ms");
var janusP50 = Median("janus", "p50_ms");
var result = new JsonObject
{
    ["p50_ms"] = p50,
    ["p95_ms"] = p95,
    ["kbps"] = kbps,
    ["width"] = width,
    ["height"] = Median("relay", "height"),
    ["fps"] = Median("relay", "fps"),
    ["to_receive_p50_ms"] = Median("relay", "to_receive_p50_ms"),
    ["freezes"] = Median("relay", "freezes"),
    ["frames_decoded"] = Median("relay", "frames_decoded"),
    ["host_sent_kbps"] = HostMedian("relay", "sent_kbps"),
    ["direct_p50_ms"] = directP50,
    ["direct_p95_ms"] = Median("direct", "p95_ms"),
    ["direct_to_receive_p50_ms"] = Median("direct", "to_receive_p50_ms"),
    ["direct_kbps"] = Median("direct", "kbps"),
    ["direct_width"] = Median("direct", "width"),
    ["direct_fps"] = Median("direct", "fps"),
    ["direct_freezes"] = Median("direct", "freezes"),
    ["janus_p50_ms"] = janusP50,
    ["janus_p95_ms"] = Median("janus", "p95_ms"),
    ["janus_to_receive_p50_ms"] = Median("janus", "to_receive_p50_ms"),
    ["janus_kbps"] = Median("janus", "kbps"),
    ["janus_width"] = Median("janus", "width"),
    ["janus_fps"] = Median("janus", "fps"),
    ["janus_freezes"] = Median("janus", "freezes"),
    ["targets"] = new JsonObject
    {
        ["kbps_at_least_2000"] = kbps is null ? null : kbps >= 2000,
        ["width_1280"] = width is null ? null : width >= 1280,
        ["p50_at_most_60"] = p50 is null ? null : p50 <= 60,
        ["p95_at_most_100"] = p95 is null ? null : p95 <= 100,
        ["p50_within_direct_plus_10"] = p50 is not null && directP50 is not null ? p50 <= directP50 + 10 : null,
        ["p50_below_janus"] = p50 is not null && janusP50 is not null ? p50 < janusP50 : null,
    },
    ["runs"] = runs,
    ["seconds"] = seconds,
    ["warmup_seconds"] = warmup,
    ["measured_segments"] = new JsonObject { ["relay"] = Measured("relay"), ["janus"] = Measured("janus"), ["direct"] = Measured("direct") },
    ["janus_note"] = janusNote,
    ["content_hint"] = contentHint,
    ["noise_patch"] = noise,
    ["chromium"] = browsers.Version,
    ["load_average_before"] = loadBefore,
    ["load_average_after"] = BenchJson.LoadAverage(),
    ["cpus"] = Environment.ProcessorCount,
    ["cpu"] = BenchJson.CpuModel(),
    ["measured_at"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
    ["method"] = "two headless Debian Chromium processes (host, viewer) on one machine, loopback; the host draws a 1280x720 canvas at 30 fps (static text, a scrolling 880x360 panel of dense text, a sliding 256x256 noise patch) with the frame counter and its send time (performance.timeOrigin + now, 0.1 ms units) as 64 black/white 20 px blocks; captureStream(30), VP8 on every path; the viewer reads the blocks of each frame the compositor presents (requestVideoFrameCallback, drawImage + getImageData) and records now - send time (to_receive: the frame's last packet's arrival, rVFC receiveTime, - send time), corrected by the two pages' clock skew against Date.now(); per segment: connect, first readable frame, warm-up, then the window; p50/p95 nearest rank over the window's frames; kbps, width (median of 1 s samples), freezes (freezeCount), frames_decoded from the viewer's inbound-rtp; each top-level figure is the median over runs of that path's per-run figure; paths alternate, each run starting with the next",
    ["segments"] = new JsonArray([.. segments]),
};
await BenchJson.WriteAsync(output, result);
var unmeasured = paths.Where(p => Measured(p.Name) == 0).Select(p => p.Name).ToList();
if (unmeasured.Count > 0)
{
    Console.Error.WriteLine($"bench-glass: no segment of {string.Join(", ", unmeasured)} was measured (see each segment's error in {output})");
    return 1;
}

return 0;
