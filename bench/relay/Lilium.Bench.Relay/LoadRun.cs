using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

/// <summary>
/// One SFU's run: a publisher at a steady ~250 packets/s for the whole run, subscribers added in steps. Per step,
/// over a window of publisher sequence numbers: loss (every subscriber marks each sequence number it received),
/// added latency (the send timestamp inside a sample of packets, decrypted at the subscriber; same host clock), and
/// the SFU's CPU: its process time (/proc/&lt;pid&gt;/stat) and the busy time of the core it is pinned to (/proc/stat).
/// </summary>
internal sealed class LoadRun(ISfuUnderTest sfu, int sfuCpu, IReadOnlyList<int> steps, int seconds)
{
    public const int PacketsPerSecond = 250;
    public const int PacketSize = 1200;
    private const int MaxPackets = SendLog.Capacity;
    private const uint VideoSsrc = 3434957552;
    private const int ConnectBatch = 16;

    private readonly SendLog _log = new();
    private long _sent; // extended sequence number of the next packet

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
                        var s = new Subscriber(c, _log);
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
                Console.Error.WriteLine($"{sfu.Name}: " + string.Join("  ", step.Select(kv => $"{kv.Key}={kv.Value}")));
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
        await Task.Delay(1000); // settle: keyframe requests, socket buffers
        var first = Interlocked.Read(ref _sent);
        var sfuCpu0 = PinnedProcess.CpuSeconds(sfu.ProcessId);
        var core0 = PinnedProcess.CoreBusySeconds(sfuCpu);
        var genCpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var feedback0 = subscribers.Sum(s => s.FeedbackSent);
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var last = Interlocked.Read(ref _sent);
        var elapsed = clock.Elapsed.TotalSeconds;
        var sfuCores = (PinnedProcess.CpuSeconds(sfu.ProcessId) - sfuCpu0) / elapsed;
        var coreBusy = (PinnedProcess.CoreBusySeconds(sfuCpu) - core0) / elapsed;
        var genCores = (Process.GetCurrentProcess().TotalProcessorTime - genCpu0).TotalSeconds / elapsed;
        var feedbackPerSecond = (subscribers.Sum(s => s.FeedbackSent) - feedback0) / elapsed;
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
        return new Dictionary<string, object>
        {
            ["subscribers"] = subscribers.Count,
            ["packets_per_s_out"] = Math.Round((last - first) * subscribers.Count / elapsed),
            ["loss_pct"] = Math.Round(loss, 4),
            ["p50_added_ms"] = Pct(latencies, 0.50),
            ["p99_added_ms"] = Pct(latencies, 0.99),
            ["relay_cpu_cores"] = Math.Round(sfuCores, 3),
            ["relay_core_busy"] = Math.Round(Math.Max(coreBusy, sfuCores), 3),
            ["generator_cpu_cores"] = Math.Round(genCores, 3),
            ["subscriber_feedback_per_s"] = Math.Round(feedbackPerSecond), // transport-wide CC feedback the subscribers sent
        };
    }

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

    private void Publish(BenchPeer p, CancellationToken stop)
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
            if (srtp.TryProtectRtp(packet, PacketSize, out var length))
            {
                _log.Record(i, SendLog.NowUnixNs());
                p.Socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, p.Remote);
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
