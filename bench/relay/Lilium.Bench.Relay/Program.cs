using System.Buffers.Binary;
using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Testing;
using Lilium.Testing.WebRtc;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;

// make bench-relay: the relay runs as its own process pinned to one core (taskset -c RELAY_CPU); this generator (pinned
// to another core by run.sh) publishes one synthetic SRTP video stream through WHIP (~250 packets/s of 1,200 bytes,
// a 1080p screen share at ~2.5 Mbit/s) and adds WHEP subscribers step by step. Per step it measures, over a window
// of publisher sequence numbers: loss (every subscriber marks each sequence number it received), added latency
// (send timestamp inside a sample of packets, decrypted at the subscriber; same host clock), and the relay's CPU
// (/proc/<pid>/stat). See docs/relay.md, "Benchmark".
var steps = ArgS("--steps", "50,100,175,250,300,350,400,500,750,1000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
var seconds = Arg("--seconds", 5);
var relayCpu = ArgS("--relay-cpu", "0");
var output = ArgS("--out", "bench/results/relay.json");
var relayDll = ArgS("--relay", "media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll");
const int PacketsPerSecond = 250;
const int PacketSize = 1200;
const int MaxPackets = 1 << 20;
const uint VideoSsrc = 3434957552;

var keys = TokenKeys.Generate();
var httpPort = Ports.FreeTcp();
var mediaPort = Ports.FreeUdp();
var pinned = File.Exists("/usr/bin/taskset");
var start = new ProcessStartInfo(pinned ? "/usr/bin/taskset" : "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
if (pinned)
{
    start.ArgumentList.Add("-c");
    start.ArgumentList.Add(relayCpu);
    start.ArgumentList.Add("dotnet");
}

foreach (var a in new[] { relayDll, "--urls", $"http://127.0.0.1:{httpPort}" })
{
    start.ArgumentList.Add(a);
}

start.Environment["TOKEN_KEYS"] = keys.ToJson();
start.Environment["RELAY_MEDIA_PORT"] = mediaPort.ToString(CultureInfo.InvariantCulture);
start.Environment["RELAY_BIND_ADDRESS"] = "127.0.0.1";
start.Environment["Logging__LogLevel__Default"] = "Warning";
using var relay = Process.Start(start) ?? throw new InvalidOperationException("could not start the relay");
relay.OutputDataReceived += (_, _) => { };
relay.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine("relay: " + e.Data); } };
relay.BeginOutputReadLine();
relay.BeginErrorReadLine();
using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
try
{
    await WaitHealthyAsync();
    var media = new IPEndPoint(IPAddress.Loopback, mediaPort);
    var session = Guid.NewGuid();
    var publisher = await RelayTestPeer.ConnectAsync(http, new Uri($"/whip/{session}", UriKind.Relative), Grant(session, RelayRole.Host), media, publisher: true);

    // The publisher runs for the whole benchmark; `sent` is the extended sequence number of the next packet.
    long sent = 0;
    using var stopAll = new CancellationTokenSource();
    var publishing = Task.Factory.StartNew(() => Publish(publisher, media, stopAll.Token), TaskCreationOptions.LongRunning);
    await Task.Delay(500);

    // ICE consent freshness (RFC 7675): the relay tears down a peer that sends no binding request for 30 s.
    var peers = new System.Collections.Concurrent.ConcurrentBag<RelayTestPeer.Connected> { publisher };
    var consent = Task.Run(async () =>
    {
        while (!stopAll.IsCancellationRequested)
        {
            foreach (var p in peers)
            {
                p.Socket.SendTo(StunTestClient.BindingRequest($"{p.Ufrag}:oGiI", p.Password, false, out _), media);
            }

            await Task.Delay(TimeSpan.FromSeconds(5), stopAll.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    });
    var subscribers = new List<Subscriber>();
    var results = new List<Dictionary<string, object>>();
    string? stoppedBecause = null;
    foreach (var target in steps)
    {
        while (subscribers.Count < target && stoppedBecause is null)
        {
            var batch = Math.Min(16, target - subscribers.Count);
            RelayTestPeer.Connected[] connected;
            try
            {
                connected = await Task.WhenAll(Enumerable.Range(0, batch).Select(_ => RelayTestPeer.ConnectAsync(
                    http, new Uri($"/whep/{session}", UriKind.Relative), Grant(session, RelayRole.Viewer), media, publisher: false)));
            }
            catch (Exception e) when (e is TimeoutException or HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
            {
                // A saturated relay (or generator) no longer completes new handshakes in time: past the knee.
                stoppedBecause = $"connecting subscriber {subscribers.Count + 1} failed under load: {e.GetType().Name}";
                break;
            }

            foreach (var c in connected)
            {
                peers.Add(c);
                var s = new Subscriber(c);
                subscribers.Add(s);
                s.Start(stopAll.Token);
            }
        }

        if (stoppedBecause is not null)
        {
            Console.Error.WriteLine(stoppedBecause);
            break;
        }

        await Task.Delay(1000); // settle: keyframe requests, socket buffers
        var first = Interlocked.Read(ref sent);
        var relayCpu0 = RelayCpuSeconds(relay.Id);
        var genCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var last = Interlocked.Read(ref sent);
        var elapsed = clock.Elapsed.TotalSeconds;
        var relayCores = (RelayCpuSeconds(relay.Id) - relayCpu0) / elapsed;
        var genCores = (Process.GetCurrentProcess().TotalProcessorTime - genCpu0).TotalSeconds / elapsed;
        await Task.Delay(300); // in flight
        long expected = (last - first) * subscribers.Count, received = 0;
        var latencies = new List<double>();
        foreach (var s in subscribers)
        {
            received += s.CountReceived(first, last);
            latencies.AddRange(s.TakeLatencies(first, last));
        }

        latencies.Sort();
        var loss = expected == 0 ? 100.0 : 100.0 * (expected - received) / expected;
        var step = new Dictionary<string, object>
        {
            ["subscribers"] = subscribers.Count,
            ["packets_per_s_out"] = Math.Round((last - first) * subscribers.Count / elapsed),
            ["loss_pct"] = Math.Round(loss, 4),
            ["p50_added_ms"] = Pct(latencies, 0.50),
            ["p99_added_ms"] = Pct(latencies, 0.99),
            ["relay_cpu_cores"] = Math.Round(relayCores, 3),
            ["generator_cpu_cores"] = Math.Round(genCores, 3),
        };
        results.Add(step);
        Console.Error.WriteLine(string.Join("  ", step.Select(kv => $"{kv.Key}={kv.Value}")));
        if (loss >= 0.1 && results.Count(r => (double)r["loss_pct"] >= 0.1) >= 2)
        {
            break; // two lossy steps: past the knee
        }
    }

    await stopAll.CancelAsync();
    await publishing;
    await consent;

    // Capacity: the largest clean step; per core = its subscribers over the relay CPU it used (the relay runs on one
    // core, so ≥ 1.0 cores means that core was saturated and the step count itself is the per-core figure).
    var clean = results.Where(r => (double)r["loss_pct"] < 0.1).ToList();
    var best = clean.LastOrDefault();
    double? perCore = best is null ? null : Math.Round((int)best["subscribers"] / Math.Max(Math.Min((double)best["relay_cpu_cores"], 1.0), 0.05));
    var half = best is null ? null : results.OrderBy(r => Math.Abs((int)r["subscribers"] - (int)best["subscribers"] / 2.0)).First();
    var result = new Dictionary<string, object?>
    {
        ["subscriber_streams_per_core"] = perCore,
        ["max_clean_subscribers"] = best?["subscribers"],
        ["p50_added_ms"] = half?["p50_added_ms"],
        ["p99_added_ms"] = half?["p99_added_ms"],
        ["latency_at_subscribers"] = half?["subscribers"],
        ["loss_pct"] = best?["loss_pct"],
        ["janus_subscriber_streams_per_core"] = null,
        ["janus_note"] = "not driven: Janus (Debian 1.1.2) runs full ICE towards each subscriber and needs a VideoRoom JSON API session per subscriber; the synthetic SRTP peer here is a controlling-only ICE client for our ICE-lite relay. See docs/relay.md.",
        ["packet_bytes"] = PacketSize,
        ["publisher_packets_per_s"] = PacketsPerSecond,
        ["relay_pinned_to_cpu"] = pinned ? relayCpu : "not pinned (no taskset)",
        ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "",
        ["cpu"] = CpuModel(),
        ["method"] = "per step: window of publisher sequence numbers; loss = unmarked (subscriber, seq) pairs; latency = publisher send timestamp in every 25th packet to subscriber receive, same clock; relay CPU from /proc; per core = subscribers / min(relay cores used, 1) at the largest step with loss < 0.1 %",
        ["stopped_because"] = stoppedBecause ?? "two steps at or above 0.1 % loss, or the last step",
        ["steps"] = results,
    };
    var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    await File.WriteAllTextAsync(output, json);
    Console.WriteLine(json);
    foreach (var s in subscribers)
    {
        s.Dispose();
    }

    return 0;

    void Publish(RelayTestPeer.Connected p, IPEndPoint to, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForSending(p.Keys);
        var packet = new byte[PacketSize + 16];
        var clock = Stopwatch.StartNew();
        for (long i = 0; !stop.IsCancellationRequested && i < MaxPackets; i++)
        {
            packet.AsSpan().Clear();
            packet[0] = 0x80;
            packet[1] = (byte)(97 | (i % 8 == 7 ? 0x80 : 0)); // marker: a frame every 8 packets (~31 fps)
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), (uint)(i / 8 * 2903));
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), VideoSsrc);
            packet[12] = 0x10; // VP8 descriptor: S=1, PID 0
            packet[13] = 0x00; // VP8 payload header: key frame (so every subscriber starts at once)
            BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(16), i);
            BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(24), Stopwatch.GetTimestamp());
            if (srtp.TryProtectRtp(packet, PacketSize, out var length))
            {
                p.Socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, to);
            }

            Interlocked.Exchange(ref sent, i + 1);
            var due = TimeSpan.FromSeconds((i + 1) / (double)PacketsPerSecond);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                Thread.Sleep(wait);
            }
        }
    }
}
finally
{
    if (!relay.HasExited)
    {
        relay.Kill(entireProcessTree: true);
    }
}

async Task WaitHealthyAsync()
{
    for (var i = 0; i < 200; i++)
    {
        try
        {
            if ((await http.GetAsync("/health")).IsSuccessStatusCode)
            {
                return;
            }
        }
        catch (HttpRequestException)
        {
        }

        await Task.Delay(100);
    }

    throw new InvalidOperationException("the relay did not become healthy");
}

string Grant(Guid session, RelayRole role)
{
    var now = DateTimeOffset.UtcNow;
    return keys.RelayCodec().Issue(new RelayGrantClaims
    {
        Subject = Guid.NewGuid(),
        IssuedAt = now.ToUnixTimeSeconds(),
        ExpiresAt = now.AddHours(1).ToUnixTimeSeconds(),
        SessionId = session,
        Role = role,
    });
}

static double RelayCpuSeconds(int pid)
{
    // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
    var stat = File.ReadAllText($"/proc/{pid}/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    return ticks / 100.0;
}

static double Pct(List<double> sorted, double q) =>
    sorted.Count == 0 ? double.NaN : Math.Round(sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * q))], 3);

static string CpuModel() =>
    File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "" : "";

int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;

string ArgS(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;

/// <summary>One WHEP subscriber: marks every publisher sequence number it receives and samples latency.</summary>
internal sealed class Subscriber(RelayTestPeer.Connected peer) : IDisposable
{
    private const int LatencySampleEvery = 25;
    private readonly BitArray _seen = new(1 << 20);
    private readonly List<(long Seq, double Ms)> _latencies = [];
    private readonly Lock _lock = new();
    private long _offset = long.MinValue; // publisher extended seq minus this viewer's rewritten seq
    private long _lastExtended = -1;
    private Task? _loop;

    public void Start(CancellationToken stop) => _loop = Task.Run(() => ReceiveAsync(stop), stop);

    public long CountReceived(long from, long to)
    {
        lock (_lock)
        {
            long n = 0;
            for (var s = from; s < to && s < _seen.Length; s++)
            {
                n += _seen[(int)s] ? 1 : 0;
            }

            return n;
        }
    }

    public IEnumerable<double> TakeLatencies(long from, long to)
    {
        lock (_lock)
        {
            return [.. _latencies.Where(l => l.Seq >= from && l.Seq < to).Select(l => l.Ms)];
        }
    }

    public void Dispose() => peer.Socket.Dispose();

    private async Task ReceiveAsync(CancellationToken stop)
    {
        using var srtp = SrtpSession.ForReceiving(peer.Keys);
        var buffer = new byte[2048];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var n = await peer.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                var now = Stopwatch.GetTimestamp();
                var datagram = buffer.AsSpan(0, n);
                if (!RtpHeader.IsRtpOrRtcp(datagram) || RtpHeader.IsRtcp(datagram) || n < 12)
                {
                    continue;
                }

                // The RTP header is clear text in SRTP: the rewritten sequence number maps back to the publisher's.
                var seq = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
                var extended = Extend(seq);
                var decrypt = _offset == long.MinValue || (extended + _offset) % LatencySampleEvery == 0;
                if (decrypt)
                {
                    if (!srtp.TryUnprotectRtp(buffer, n, out var plain) || !RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header) || header.PayloadLength < 20)
                    {
                        continue;
                    }

                    var publisherSeq = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(header.HeaderLength + 4));
                    var sentAt = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(header.HeaderLength + 12));
                    _offset = publisherSeq - extended;
                    lock (_lock)
                    {
                        _latencies.Add((publisherSeq, Stopwatch.GetElapsedTime(sentAt, now).TotalMilliseconds));
                    }
                }

                var p = extended + _offset;
                if (p >= 0 && p < _seen.Length)
                {
                    lock (_lock)
                    {
                        _seen[(int)p] = true;
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private long Extend(ushort seq)
    {
        if (_lastExtended < 0)
        {
            _lastExtended = seq;
            return seq;
        }

        var delta = (short)(seq - (ushort)_lastExtended);
        _lastExtended += delta;
        return _lastExtended;
    }
}
