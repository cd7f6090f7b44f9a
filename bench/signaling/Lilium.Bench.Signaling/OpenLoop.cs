using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace Lilium.Bench.Signaling;

/// <summary>What one open-loop phase measured (latencies sorted, in milliseconds).</summary>
internal sealed record LoadResult(
    double[] Latencies,
    double[] Lateness,
    double[] P99PerSecond,
    long Sent,
    long Acked,
    long Errors,
    TimeSpan GcPause,
    int[] GcCollections,
    long AllocatedPerMessage,
    double CpuCores,
    double MachineCpuCores,
    int PoolThreads)
{
    public double Percentile(double q, int digits = 2) => OpenLoop.Percentile(Latencies, q, digits);
}

/// <summary>
/// Open loop: every client sends chat.msg to its friend (client <c>i ^ 1</c>) on its own fixed schedule,
/// clients / rate seconds apart with a random phase, so the offered load is <c>rate</c> messages/s whatever the
/// latency; latency runs from the scheduled send time to the chat.receipt at the sender (no coordinated omission).
/// A warm-up phase fills the caches and JITs the path; only the measured window counts.
/// </summary>
internal sealed class OpenLoop(ClientWebSocket[] sockets, byte[][] prefixes, int rate, int warmupSeconds, int seconds)
{
    public async Task<LoadResult> RunAsync()
    {
        var clients = sockets.Length;
        var interval = (double)clients / rate;
        var origin = Stopwatch.GetTimestamp();
        var measureFrom = origin + (long)(warmupSeconds * Stopwatch.Frequency);
        var measureUntil = measureFrom + (long)(seconds * Stopwatch.Frequency);
        // The bookkeeping is preallocated, one slot per (client, message number), before anything is sent: the clients
        // share the server's process and heap, and growing collections of results (they live to the end, so they are
        // promoted) made gen1 collections of 50–90 ms that a real client on its own device does not cause.
        var perClient = (int)Math.Ceiling((warmupSeconds + seconds) / interval) + 1;
        var due = new long[clients * perClient];
        var sentAt = new long[clients * perClient];
        var receivedAt = new long[clients * perClient];
        long measuredAcked = 0, errors = 0;
        var cpuBefore = TimeSpan.Zero;
        long gcPauseBefore = 0, allocatedBefore = 0;
        int[] gcCountsBefore = [];
        var machineBefore = MachineCpu.Read();
        var measuring = Task.Run(async () =>
        {
            // GC pauses and collections inside the measured window only: a tail that lines up with them is the collector's.
            var untilMeasuring = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measureFrom);
            if (untilMeasuring > TimeSpan.Zero)
            {
                await Task.Delay(untilMeasuring);
            }

            gcPauseBefore = GC.GetTotalPauseDuration().Ticks;
            gcCountsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
            allocatedBefore = GC.GetTotalAllocatedBytes();
            machineBefore = MachineCpu.Read();
            cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            Console.Error.WriteLine("measuring…");
        });
        var phases = new double[clients];
        for (var c = 0; c < clients; c++)
        {
            phases[c] = Random.Shared.NextDouble() * interval;
        }

        // One scheduler thread sends every client's messages at their due times, in phase order. With a task and a
        // timer per client the sends waited in the thread pool's queue behind the server's own work items (the clients
        // share its process): that lateness (p99 9.5 ms) was counted as latency although a real client on its own
        // device has none. Lateness is still measured from the scheduled time and reported (send_lateness_p99_ms).
        var order = Enumerable.Range(0, clients).OrderBy(c => phases[c]).ToArray();
        var inFlight = Enumerable.Repeat(Task.CompletedTask, clients).ToArray();
        var scheduler = new Thread(() =>
        {
            for (var n = 0; n < perClient; n++)
            {
                var sent = false;
                foreach (var i in order)
                {
                    var dueAt = origin + (long)((phases[i] + n * interval) * Stopwatch.Frequency);
                    if (dueAt >= measureUntil)
                    {
                        continue;
                    }

                    Precise.SleepUntil(dueAt);
                    Volatile.Write(ref due[i * perClient + n], dueAt);
                    sentAt[i * perClient + n] = Stopwatch.GetTimestamp();
                    var msg = ChatMessage(prefixes[i], n);
                    var socket = sockets[i];
                    var previous = inFlight[i];
                    // A WebSocket allows one send at a time: chain behind the previous one if it has not finished.
                    inFlight[i] = previous.IsCompleted
                        ? socket.SendAsync((ReadOnlyMemory<byte>)msg, WebSocketMessageType.Text, true, CancellationToken.None).AsTask()
                        : previous.ContinueWith(_ => socket.SendAsync((ReadOnlyMemory<byte>)msg, WebSocketMessageType.Text, true, CancellationToken.None).AsTask(), TaskScheduler.Default).Unwrap();
                    sent = true;
                }

                if (!sent)
                {
                    return;
                }
            }
        })
        { IsBackground = true, Name = "bench-scheduler" };
        for (var c = 0; c < clients; c++)
        {
            var socket = sockets[c];
            var first = c * perClient;
            // The receivers end when the caller closes the sockets: cancelling a receive would abort its socket, and a
            // gateway's $disconnect work (database, AWS endpoint) would then run into whatever is measured next.
            // 4 KB: the largest message a client receives here is a forwarded chat.msg of ~500 bytes. (64 KB each put
            // 64 MB on the large object heap per phase, which the collector answers with gen2 collections.)
            var buffer = new byte[4096];
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var count = 0;
                        ValueWebSocketReceiveResult r;
                        do
                        {
                            if (count == buffer.Length)
                            {
                                Array.Resize(ref buffer, buffer.Length * 2);
                            }

                            r = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                            count += r.Count;
                        }
                        while (!r.EndOfMessage);
                        var now = Stopwatch.GetTimestamp();
                        var (action, n) = Classify(buffer.AsSpan(0, count));
                        if (action == Received.Receipt && (uint)n < (uint)perClient
                            && Volatile.Read(ref due[first + n]) is var dueAt and > 0
                            && Interlocked.CompareExchange(ref receivedAt[first + n], now, 0) == 0
                            && dueAt >= measureFrom)
                        {
                            Interlocked.Increment(ref measuredAcked);
                        }
                        else if (action == Received.Error)
                        {
                            Interlocked.Increment(ref errors);
                        }
                    }
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
                {
                }
            });
        }

        scheduler.Start();
        await Task.Run(scheduler.Join);
        await measuring;
        // CPU over the measured window (the scheduler's last sends are due just before it ends).
        var machineCores = MachineCpu.Read().BusyCoresSince(machineBefore);
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / Stopwatch.GetElapsedTime(measureFrom).TotalSeconds;
        var poolThreads = ThreadPool.ThreadCount;
        var sent = due.LongCount(d => d >= measureFrom);
        var allocatedPerMessage = (GC.GetTotalAllocatedBytes() - allocatedBefore) / Math.Max(1, sent);
        var gcPause = TimeSpan.FromTicks(GC.GetTotalPauseDuration().Ticks - gcPauseBefore);
        int[] gcCounts = [GC.CollectionCount(0) - gcCountsBefore[0], GC.CollectionCount(1) - gcCountsBefore[1], GC.CollectionCount(2) - gcCountsBefore[2]];
        await Task.WhenAll(inFlight);
        var drainUntil = DateTime.UtcNow.AddSeconds(5);
        while (Interlocked.Read(ref measuredAcked) < sent && DateTime.UtcNow < drainUntil)
        {
            await Task.Delay(50);
        }

        var latencies = new List<double>();
        var lateness = new List<double>();
        var timeline = new List<(int Second, double Ms)>();
        for (var k = 0; k < due.Length; k++)
        {
            if (due[k] < measureFrom)
            {
                continue;
            }

            lateness.Add(Stopwatch.GetElapsedTime(due[k], sentAt[k]).TotalMilliseconds);
            if (Volatile.Read(ref receivedAt[k]) is var received and > 0)
            {
                var ms = Stopwatch.GetElapsedTime(due[k], received).TotalMilliseconds;
                latencies.Add(ms);
                timeline.Add(((int)Stopwatch.GetElapsedTime(measureFrom, due[k]).TotalSeconds, ms));
            }
        }

        return new LoadResult(
            [.. latencies.Order()],
            [.. lateness.Order()],
            [.. timeline.GroupBy(t => t.Second).OrderBy(g => g.Key).Select(g => Percentile([.. g.Select(t => t.Ms).Order()], 0.99, digits: 1))],
            sent,
            latencies.Count,
            Interlocked.Read(ref errors),
            gcPause,
            gcCounts,
            allocatedPerMessage,
            Math.Round(cpu, 2),
            Math.Round(machineCores, 2),
            poolThreads);
    }

    public static double Percentile(double[] sorted, double q, int digits = 2) =>
        Math.Round(Percentiles.NearestRank(sorted, q), digits);

    // A real client parses on its own device; here the clients share the server's process, so they read only what the
    // measurement needs (action and id) without building a document or strings.
    private static (Received Action, int Id) Classify(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var action = Received.Other;
        var id = -1;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return (action, id);
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isAction = reader.ValueTextEquals("action"u8);
            var isId = !isAction && reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isAction && reader.TokenType == JsonTokenType.String)
            {
                action = reader.ValueTextEquals("chat.receipt"u8) ? Received.Receipt : reader.ValueTextEquals("error"u8) ? Received.Error : Received.Other;
            }
            else if (isId && reader.TokenType == JsonTokenType.String && int.TryParse(reader.ValueSpan, out var value))
            {
                id = value;
            }
            else
            {
                reader.Skip();
            }
        }

        return (action, id);
    }

    private static byte[] ChatMessage(byte[] prefix, int n)
    {
        Span<byte> digits = stackalloc byte[11];
        n.TryFormat(digits, out var length);
        var message = new byte[prefix.Length + length + 2];
        prefix.CopyTo(message, 0);
        digits[..length].CopyTo(message.AsSpan(prefix.Length));
        "\"}"u8.CopyTo(message.AsSpan(prefix.Length + length));
        return message;
    }

    private enum Received
    {
        Other,
        Receipt,
        Error,
    }
}

/// <summary>
/// The whole machine's busy CPU from <c>/proc/stat</c> (every process: the AWS endpoint, Postgres, this one): a phase
/// whose tail grows while the machine is busier is sharing its two cores, not slower by itself.
/// </summary>
internal readonly record struct MachineCpu(long Busy, long Total)
{
    public static MachineCpu Read()
    {
        if (!File.Exists("/proc/stat"))
        {
            return new(0, 0);
        }

        // cpu  user nice system idle iowait irq softirq steal …
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8).Select(long.Parse).ToArray();
        var idle = fields[3] + fields[4];
        return new(fields.Sum() - idle, fields.Sum());
    }

    /// <returns>Cores busy on average since <paramref name="before"/> (0 when /proc/stat is absent).</returns>
    public double BusyCoresSince(MachineCpu before) =>
        Total == before.Total ? 0 : (Busy - before.Busy) / (double)(Total - before.Total) * Environment.ProcessorCount;
}

/// <summary>Sleeps to a <see cref="Stopwatch"/> timestamp with sub-millisecond precision (Thread.Sleep has 1 ms).</summary>
internal static partial class Precise
{
    public static void SleepUntil(long timestamp)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining > TimeSpan.Zero)
        {
            _ = USleep((uint)Math.Min(remaining.TotalMicroseconds, 1_000_000));
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int USleep(uint microseconds);
}
