using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

/// <summary>
/// One SFU's run: a publisher at a steady ~250 packets/s for the whole run (the full layer; with simulcast, two lower
/// layers beside it, <see cref="BenchLayers"/>), subscribers added in steps. Per step, over a window of publisher
/// packets: loss on the full layer (every subscriber marks each packet it received, per layer), added latency (the
/// full layer's send times, <see cref="SendLog"/>, against the kernel's receive timestamps; same host clock), which
/// layer each subscriber is on, and the SFU's CPU: its process time (/proc/&lt;pid&gt;/stat) and the busy time of the
/// core it is pinned to (/proc/stat).
/// </summary>
internal sealed class LoadRun(ISfuUnderTest sfu, int sfuCpu, IReadOnlyList<int> steps, int seconds)
{
    public const int PacketsPerSecond = 250;
    public const int PacketSize = 1200;
    private const int MaxPackets = SendLog.Capacity;
    private const int ConnectBatch = 16;

    /// <summary>With simulcast, how long a step waits at most for every subscriber to be back on the full layer.</summary>
    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(10);

    private readonly SendLog _log = new();
    private long _sent; // extended sequence number of the next full-layer packet
    private readonly long[] _sentLayers = new long[BenchLayers.All.Length]; // each layer's next packet index
    private long _switchesReported; // layer switches the subscribers had seen at the end of the previous step

    public async Task<Outcome> RunAsync()
    {
        var publisher = await sfu.PublishAsync();
        using var stopAll = new CancellationTokenSource();
        var publishing = Task.Factory.StartNew(() => Publish(publisher, stopAll.Token), TaskCreationOptions.LongRunning);
        var publisherInbound = Task.Run(() => DrainAsync(publisher, stopAll.Token));
        await Task.Delay(500);

        // ICE consent freshness (RFC 7675): our relay tears down a peer that sends no binding request for 30 s.
        var peers = new ConcurrentBag<BenchPeer> { publisher };
        var consent = Task.Run(async () =>
        {
            while (!stopAll.IsCancellationRequested)
            {
                foreach (var p in peers)
                {
                    p.Socket.SendTo(p.ConsentCheck(), p.Remote);
                }

                await Task.Delay(TimeSpan.FromSeconds(5), stopAll.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        });
        var subscribers = new List<Subscriber>();
        using var pool = new ReceivePool();
        pool.Start(stopAll.Token);
        var results = new List<Dictionary<string, object>>();
        string? stoppedBecause = null;
        try
        {
            foreach (var target in steps)
            {
                while (subscribers.Count < target && stoppedBecause is null)
                {
                    var batch = Math.Min(ConnectBatch, target - subscribers.Count);
                    BenchPeer[] connected;
                    try
                    {
                        connected = await Task.WhenAll(Enumerable.Range(0, batch).Select(_ => sfu.SubscribeAsync()));
                    }
                    catch (Exception e) when (e is TimeoutException or HttpRequestException or OperationCanceledException or InvalidOperationException or DtlsHandshakeException or SocketException or Xunit.Sdk.XunitException)
                    {
                        // A saturated SFU (or generator) no longer completes new handshakes in time (or its DTLS gives
                        // up on them: handshake_failure): past the knee.
                        stoppedBecause = $"connecting subscriber {subscribers.Count + 1} failed under load: {e.GetType().Name}: {e.Message}";
                        break;
                    }

                    foreach (var c in connected.Select(ReceivePool.Rebind))
                    {
                        peers.Add(c);
                        var s = new Subscriber(c, _log, sfu.Simulcast);
                        subscribers.Add(s);
                        pool.Add(s);
                    }
                }

                if (stoppedBecause is not null)
                {
                    Console.Error.WriteLine($"{sfu.Name}: {stoppedBecause}");
                    break;
                }

                var step = await MeasureAsync(subscribers);
                results.Add(step);
                Console.Error.WriteLine($"{sfu.Name}: " + string.Join("  ", step.Select(kv => $"{kv.Key}={Show(kv.Value)}")));
                if ((double)step["loss_pct"] >= 0.1 && results.Count(r => (double)r["loss_pct"] >= 0.1) >= 2)
                {
                    break; // two lossy steps: past the knee
                }
            }
        }
        finally
        {
            await stopAll.CancelAsync();
            await publishing;
            await consent;
            await publisherInbound;
            pool.Join();
            foreach (var s in subscribers)
            {
                s.Dispose();
            }

            publisher.Socket.Dispose();
        }

        return new Outcome(results, stoppedBecause ?? "two steps at or above 0.1 % loss, or the last step");
    }

    private async Task<Dictionary<string, object>> MeasureAsync(List<Subscriber> subscribers)
    {
        var settling = Stopwatch.StartNew();
        await Task.Delay(1000); // settle: keyframe requests, socket buffers
        while (sfu.Simulcast && settling.Elapsed < MaxSettle && subscribers.Any(s => s.Layer != BenchLayers.Full))
        {
            // A burst of new subscribers' handshakes stalls the relay's core for a moment, its delay-based estimates fall
            // and it moves some subscribers down; they come back only after an up-switch trial (2 s, backing off after a
            // failure). The window measures the load's steady state, so it waits (bounded) for them: whoever is still
            // below the full layer when it starts counts as loss.
            await Task.Delay(250);
        }

        var settled = settling.Elapsed.TotalSeconds;
        var first = Interlocked.Read(ref _sent);
        var firstOfLayer = SentLayers();
        var onLayer = subscribers.Select(s => (s.Layer, s.Switches)).ToArray();
        var sfuCpu0 = PinnedProcess.CpuSeconds(sfu.ProcessId);
        var core0 = PinnedProcess.CoreBusySeconds(sfuCpu);
        var genCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var feedback0 = subscribers.Sum(s => s.FeedbackSent);
        var other0 = subscribers.Sum(s => s.OtherSsrcPackets);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var last = Interlocked.Read(ref _sent);
        var lastOfLayer = SentLayers();
        var elapsed = clock.Elapsed.TotalSeconds;
        var sfuCores = (PinnedProcess.CpuSeconds(sfu.ProcessId) - sfuCpu0) / elapsed;
        var coreBusy = (PinnedProcess.CoreBusySeconds(sfuCpu) - core0) / elapsed;
        var genCores = (Process.GetCurrentProcess().TotalProcessorTime - genCpu0).TotalSeconds / elapsed;
        var feedbackPerSecond = (subscribers.Sum(s => s.FeedbackSent) - feedback0) / elapsed;
        var otherPerSecond = (subscribers.Sum(s => s.OtherSsrcPackets) - other0) / elapsed;
        await Task.Delay(300); // in flight

        // Loss is measured on the full layer: every subscriber is owed every full-layer packet of the window, so one
        // that the relay moved down to a lower layer counts as losing them (without simulcast, the one stream is the
        // full layer: the definition is the benchmark's old one). Beside it, loss on each subscriber's own layer, for
        // those that stayed on one layer through the window, tells moved down from dropped.
        long expected = (last - first) * subscribers.Count, received = 0, ownExpected = 0, ownReceived = 0, delivered = 0;
        var latencies = new List<double>();
        var layers = new int[BenchLayers.All.Length];
        var movedInWindow = 0;
        for (var k = 0; k < subscribers.Count; k++)
        {
            var s = subscribers[k];
            received += s.CountReceived(BenchLayers.Full, first, last);
            latencies.AddRange(s.TakeLatencies(first, last));
            for (var l = 0; l < layers.Length; l++)
            {
                delivered += l == BenchLayers.Full ? 0 : s.CountReceived(l, firstOfLayer[l], lastOfLayer[l]);
            }

            var layer = s.Layer;
            if (layer >= 0)
            {
                layers[layer]++;
            }

            if (layer >= 0 && onLayer[k] == (layer, s.Switches))
            {
                ownExpected += lastOfLayer[layer] - firstOfLayer[layer];
                ownReceived += s.CountReceived(layer, firstOfLayer[layer], lastOfLayer[layer]);
            }
            else
            {
                movedInWindow++;
            }
        }

        delivered += received;
        latencies.Sort();
        var loss = expected == 0 ? 100.0 : 100.0 * (expected - received) / expected;
        var step = new Dictionary<string, object>
        {
            ["subscribers"] = subscribers.Count,
            ["packets_per_s_out"] = Math.Round(delivered / elapsed), // media packets the subscribers received, all layers
            ["loss_pct"] = Math.Round(loss, 4),
            ["p50_added_ms"] = Pct(latencies, 0.50),
            ["p99_added_ms"] = Pct(latencies, 0.99),
            ["relay_cpu_cores"] = Math.Round(sfuCores, 3),
            ["relay_core_busy"] = Math.Round(Math.Max(coreBusy, sfuCores), 3),
            ["generator_cpu_cores"] = Math.Round(genCores, 3),
            ["subscriber_feedback_per_s"] = Math.Round(feedbackPerSecond), // transport-wide CC feedback the subscribers sent
        };
        if (sfu.Simulcast)
        {
            // Which layer each subscriber was on at the end of the step (the layer of its last media packet), the
            // switches seen since the previous step (connecting and settling included), and the relay's padding on the
            // RTX streams (probes, up-switch trials) that reached the subscribers.
            step["layers"] = BenchLayers.Rids.Zip(layers).ToDictionary(p => p.First, p => p.Second);
            var switches = subscribers.Sum(s => s.Switches);
            step["layer_switches"] = switches - _switchesReported;
            _switchesReported = switches;
            step["own_layer_loss_pct"] = ownExpected == 0 ? 0.0 : Math.Round(100.0 * (ownExpected - ownReceived) / ownExpected, 4);
            step["switched_in_window"] = movedInWindow;
            step["rtx_padding_per_s"] = Math.Round(otherPerSecond);
            step["settle_s"] = Math.Round(settled, 1);
        }

        foreach (var (key, value) in await sfu.SelfReportAsync() ?? [])
        {
            step[key] = value;
        }

        return step;
    }

    /// <summary>Each layer's next packet index (the publisher thread moves them on).</summary>
    private long[] SentLayers() => [.. Enumerable.Range(0, _sentLayers.Length).Select(l => Interlocked.Read(ref _sentLayers[l]))];

    // The publisher's inbound datagrams: RTCP feedback (ignored) and the SFU's own ICE checks (answered).
    private static async Task DrainAsync(BenchPeer p, CancellationToken stop)
    {
        var buffer = new byte[2048];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var n = await p.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                p.AnswerIfCheck(buffer.AsSpan(0, n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>
    /// The publisher's clock is the full layer's: one of its packets every 4 ms (250 packets/s); with simulcast, the
    /// lower layers' packets go right after it in their slots (<see cref="BenchLayers.SendsIn"/>). Latency is measured on
    /// the full layer only (<see cref="SendLog"/>), so its packets go first, as the single stream's always did.
    /// </summary>
    private void Publish(BenchPeer p, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForSending(p.Keys);
        var packet = new byte[PacketSize + 64];
        var layers = sfu.Simulcast ? BenchLayers.All : [BenchLayers.All[BenchLayers.Full]];
        var clock = Stopwatch.StartNew();
        for (long i = 0; !stop.IsCancellationRequested && i < MaxPackets; i++)
        {
            var (frame, slot) = (i / BenchLayers.SlotsPerFrame, (int)(i % BenchLayers.SlotsPerFrame));
            for (var k = layers.Length - 1; k >= 0; k--)
            {
                var layer = layers[k];
                if (!BenchLayers.SendsIn(layer, slot))
                {
                    continue;
                }

                var index = layer.Index == BenchLayers.Full ? i : _sentLayers[layer.Index];
                var rid = sfu.Simulcast && index < BenchLayers.RidPackets ? p.RidId : (byte)0;
                var length = BenchLayers.Write(packet, layer, index, frame, BenchLayers.EndsFrame(layer, slot), rid);
                if (srtp.TryProtectRtp(packet, length, out var protectedLength))
                {
                    if (layer.Index == BenchLayers.Full)
                    {
                        _log.Record(i, SendLog.NowUnixNs());
                    }

                    p.Socket.SendTo(packet.AsSpan(0, protectedLength), SocketFlags.None, p.Remote);
                }

                Interlocked.Exchange(ref _sentLayers[layer.Index], index + 1);
            }

            Interlocked.Exchange(ref _sent, i + 1);
            var due = TimeSpan.FromSeconds((i + 1) / (double)PacketsPerSecond);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                Thread.Sleep(wait);
            }
        }
    }

    private static string? Show(object value) => value is IDictionary<string, int> or IDictionary<string, object>
        ? System.Text.Json.JsonSerializer.Serialize(value)
        : value.ToString();

    private static double Pct(List<double> sorted, double q) => Math.Round(Percentiles.NearestRank(sorted, q), 3);

    /// <summary>
    /// The steps measured, and the capacity: the largest clean step; per core = its subscribers over the busy time of
    /// the SFU's core (the SFU runs on one core, so a busy core means the step count itself is the per-core figure).
    /// Latency is reported at the step nearest half of that.
    /// </summary>
    public sealed record Outcome(List<Dictionary<string, object>> Steps, string StoppedBecause)
    {
        public Dictionary<string, object>? Best => Steps.LastOrDefault(r => (double)r["loss_pct"] < 0.1);

        public object? MaxCleanSubscribers => Best?["subscribers"];

        /// <summary>The largest step that was also prompt (p50 under 50 ms): past it the core queues what it cannot keep up with.</summary>
        public object? MaxPromptSubscribers => Steps.LastOrDefault(r => (double)r["loss_pct"] < 0.1 && (double)r["p50_added_ms"] < 50)?["subscribers"];

        public double? PerCore => PerCoreBy("relay_core_busy");

        /// <summary>The same over the SFU process's own CPU time, which leaves out the loopback delivery in softirq.</summary>
        public double? PerProcessCore => PerCoreBy("relay_cpu_cores");

        private double? PerCoreBy(string cpu) =>
            Best is { } best ? Math.Round((int)best["subscribers"] / Math.Max(Math.Min((double)best[cpu], 1.0), 0.05)) : null;

        /// <summary>The step with exactly <paramref name="subscribers"/>, if it was measured.</summary>
        public Dictionary<string, object>? At(int subscribers) => Steps.FirstOrDefault(r => (int)r["subscribers"] == subscribers);

        public Dictionary<string, object>? HalfLoad => Best is { } best
            ? Steps.OrderBy(r => Math.Abs((int)r["subscribers"] - (int)best["subscribers"] / 2.0)).First()
            : null;
    }
}
