using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Data;
using Lilium.Data.Friends;
using Lilium.Data.Migrations;
using Lilium.LocalGateway;
using Lilium.Signaling;
using Lilium.Signaling.Connections;
using Lilium.Testing;

// N clients in N/2 friend pairs; every client sends chat.msg to its friend at a fixed rate (open loop, below).
// Latency = scheduled send → chat.receipt at the sender (the receipt is sent after delivery to the friend).
// Lost = measured messages whose receipt never came (or came back as an error).
var clients = Arg("--clients", 1000);
var seconds = Arg("--seconds", 10);
var rate = Arg("--rate", 5000);
var warmup = Arg("--warmup", 10);
var cacheTtl = TimeSpan.FromSeconds(Arg("--cache-ttl", (int)SignalingOptions.SingleInstance.LookupCacheTtl.TotalSeconds));
var output = ArgS("--out", "bench/results/signaling.json");

var pg = new PostgresFixture();
await pg.InitializeAsync();
var aws = new AwsEndpointFixture();
await aws.InitializeAsync();
var data = LiliumDatabase.CreateDataSource(await pg.CreateDatabaseAsync("bench_sig"));
await new Migrator(data).MigrateAsync();
var friendships = new FriendshipRepository(data);
var dynamo = DynamoDbClients.Create(aws.Endpoint.ToString(), new BasicAWSCredentials("test", "test"), "us-east-1");
var store = new ConnectionStore(dynamo, "bench-" + Guid.NewGuid().ToString("N")[..8], TimeProvider.System);
await store.EnsureTableAsync(default);
var keys = TokenKeys.Generate();
var codec = keys.AccessCodec();
var registry = new ConnectionRegistry();
var handler = SignalingHandler.Create(keys, data, store, registry, SignalingOptions.SingleInstance with { RatePerSecond = 1000, RateBurst = 1000, LookupCacheTtl = cacheTtl }, TimeProvider.System);
var gateway = new LocalGatewayHost(new GatewayOptions { Port = Ports.FreeTcp() }, registry, handler.HandleAsync);
await gateway.StartAsync();

var users = new List<(Guid Id, string Token)>();
for (var i = 0; i < clients; i++)
{
    var id = Guid.CreateVersion7();
    var key = RandomNumberGenerator.GetBytes(65);
    await using var cmd = data.CreateCommand("INSERT INTO users (id, public_key, key_fingerprint, nickname, created_at) VALUES ($1, $2, $3, $4, now())");
    cmd.Parameters.Add(new() { Value = id });
    cmd.Parameters.Add(new() { Value = key });
    cmd.Parameters.Add(new() { Value = Convert.ToHexStringLower(SHA256.HashData(key)) });
    cmd.Parameters.Add(new() { Value = "u" + i });
    await cmd.ExecuteNonQueryAsync();
    var now = DateTimeOffset.UtcNow;
    users.Add((id, codec.Issue(new AccessClaims { Subject = id, Nickname = "u" + i, IssuedAt = now.ToUnixTimeSeconds(), ExpiresAt = now.AddHours(1).ToUnixTimeSeconds() })));
}

for (var i = 0; i + 1 < clients; i += 2)
{
    await friendships.RequestAsync(users[i].Id, users[i + 1].Id, DateTimeOffset.UtcNow);
    await friendships.AcceptAsync(users[i + 1].Id, users[i].Id, DateTimeOffset.UtcNow);
}

Console.Error.WriteLine($"connecting {clients} clients…");
var clock0 = Stopwatch.StartNew();
var sockets = new ClientWebSocket[clients];
// Connects are DynamoDB-bound (moto): a small parallelism and retries keep the setup phase from timing out.
await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
{
    for (var attempt = 1; ; attempt++)
    {
        var s = new ClientWebSocket();
        try
        {
            await s.ConnectAsync(new Uri(gateway.WebSocketUri + "?token=" + Uri.EscapeDataString(users[i].Token)), CancellationToken.None);
            sockets[i] = s;
            return;
        }
        catch (WebSocketException) when (attempt < 10)
        {
            // moto answers some concurrent TransactWriteItems with errors ($connect → 500); back off and retry.
            s.Dispose();
            await Task.Delay(100 * attempt);
        }
    }
});
Console.Error.WriteLine($"connected in {clock0.Elapsed.TotalSeconds:F1} s");

// Open loop: every client sends on its own fixed schedule (clients / rate seconds apart, random phase), so the
// offered load is `rate` messages/s whatever the latency; latency runs from the scheduled send time (no coordinated
// omission). A warm-up phase fills the caches and JITs the path; only the measured window counts.
var interval = TimeSpan.FromSeconds((double)clients / rate);
var ciphertext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(256));
var latencies = new ConcurrentBag<double>();
var timeline = new ConcurrentBag<(int Second, double Ms)>();
long measuredSent = 0, measuredAcked = 0, errors = 0;
var origin = Stopwatch.GetTimestamp();
var measureFrom = origin + (long)(warmup * Stopwatch.Frequency);
var measureUntil = measureFrom + (long)(seconds * Stopwatch.Frequency);
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var lateness = new ConcurrentBag<double>();
long gcPauseBefore = 0, allocatedBefore = 0;
int[] gcCountsBefore = [];
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
    Console.Error.WriteLine("measuring…");
});
var receivers = new Task[clients];
var pendings = new ConcurrentDictionary<int, long>[clients];
var phases = new double[clients];
for (var c = 0; c < clients; c++)
{
    pendings[c] = new ConcurrentDictionary<int, long>();
    phases[c] = Random.Shared.NextDouble() * interval.TotalSeconds;
}

// One scheduler thread sends every client's messages at their due times, in phase order. With a task and a timer
// per client the sends waited in the thread pool's queue behind the server's own work items (the clients share its
// process): that lateness (p99 9.5 ms) was counted as latency although a real client on its own device has none.
// Lateness is still measured from the scheduled time and reported (send_lateness_p99_ms).
var order = Enumerable.Range(0, clients).OrderBy(c => phases[c]).ToArray();
// Each client's message up to its id; only the id changes from message to message.
var prefixes = Enumerable.Range(0, clients)
    .Select(i => Encoding.UTF8.GetBytes($"{{\"v\":1,\"action\":\"chat.msg\",\"to\":\"{users[i ^ 1].Id}\",\"ciphertext\":\"{ciphertext}\",\"id\":\""))
    .ToArray();
var inFlight = Enumerable.Repeat(Task.CompletedTask, clients).ToArray();
var scheduler = new Thread(() =>
{
    for (var n = 0; ; n++)
    {
        var sent = false;
        foreach (var i in order)
        {
            var due = origin + (long)((phases[i] + n * interval.TotalSeconds) * Stopwatch.Frequency);
            if (due >= measureUntil)
            {
                continue;
            }

            Precise.SleepUntil(due);
            pendings[i][n] = due;
            if (due >= measureFrom)
            {
                Interlocked.Increment(ref measuredSent);
                lateness.Add(Stopwatch.GetElapsedTime(due).TotalMilliseconds);
            }

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
scheduler.Start();
for (var c = 0; c < clients; c++)
{
    var i = c;
    var socket = sockets[i];
    var pending = pendings[i];
    receivers[i] = Task.Run(async () =>
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += r.Count;
                }
                while (!r.EndOfMessage);
                var now = Stopwatch.GetTimestamp();
                var (action, n) = Classify(buffer.AsSpan(0, count));
                if (action == Received.Receipt && pending.TryRemove(n, out var due))
                {
                    if (due >= measureFrom && due < measureUntil)
                    {
                        var ms = Stopwatch.GetElapsedTime(due, now).TotalMilliseconds;
                        latencies.Add(ms);
                        timeline.Add(((int)Stopwatch.GetElapsedTime(measureFrom, due).TotalSeconds, ms));
                        Interlocked.Increment(ref measuredAcked);
                    }
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

await Task.Run(scheduler.Join);
await Task.WhenAll(inFlight);
await measuring;
var allocatedPerMessage = (GC.GetTotalAllocatedBytes() - allocatedBefore) / Math.Max(1, Interlocked.Read(ref measuredSent));
var gcPause = TimeSpan.FromTicks(GC.GetTotalPauseDuration().Ticks - gcPauseBefore);
int[] gcCounts = [GC.CollectionCount(0) - gcCountsBefore[0], GC.CollectionCount(1) - gcCountsBefore[1], GC.CollectionCount(2) - gcCountsBefore[2]];
var drainUntil = DateTime.UtcNow.AddSeconds(5);
while (Interlocked.Read(ref measuredAcked) < Interlocked.Read(ref measuredSent) && DateTime.UtcNow < drainUntil)
{
    await Task.Delay(50);
}

var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
var elapsedAll = Stopwatch.GetElapsedTime(origin).TotalSeconds;
var sorted = latencies.OrderBy(x => x).ToArray();
var result = new Dictionary<string, object>
{
    ["clients"] = clients,
    ["offered_msgs_per_s"] = rate,
    ["msgs_per_s"] = Math.Round(measuredAcked / (double)seconds, 1),
    ["p50_ms"] = Percentile(sorted, 0.50),
    ["p99_ms"] = Percentile(sorted, 0.99),
    ["p999_ms"] = Percentile(sorted, 0.999),
    ["max_ms"] = sorted.Length == 0 ? double.NaN : Math.Round(sorted[^1], 2),
    ["lost"] = measuredSent - measuredAcked,
    ["errors"] = errors,
    ["seconds"] = seconds,
    ["p99_ms_per_second"] = timeline.GroupBy(t => t.Second).OrderBy(g => g.Key)
        .Select(g => Percentile([.. g.Select(t => t.Ms).Order()], 0.99, digits: 1)).ToArray(),
    ["send_lateness_p99_ms"] = Percentile([.. lateness.Order()], 0.99),
    ["gc_pause_ms"] = Math.Round(gcPause.TotalMilliseconds, 1),
    ["gc_collections_gen012"] = gcCounts,
    ["allocated_bytes_per_msg"] = allocatedPerMessage,
    ["gc_mode"] = (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation") + (Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is { Length: > 0 } gen0 ? $", gen0 budget {gen0}" : ""),
    ["warmup_seconds"] = warmup,
    ["process_cpu_cores"] = Math.Round(cpu / elapsedAll, 2),
    ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "",
    ["method"] = "open loop, each client sends chat.msg to its friend every clients/rate s (one scheduler thread sends for all clients at their due times); latency = scheduled send to chat.receipt; clients, gateway and handler share one process",
    ["store"] = $"DynamoDB on {aws.Endpoint}, lookup cache TTL: friendships {cacheTtl.TotalSeconds} s, connections {(SignalingOptions.SingleInstance.ConnectionCacheTtl ?? cacheTtl).TotalSeconds} s (single instance, authoritative for connections; stale-while-revalidate)",
};
var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, json);
Console.WriteLine(json);
foreach (var s in sockets)
{
    s.Abort();
    s.Dispose();
}

// The gateway first: its stop waits, within Kestrel's shutdown timeout, for the $disconnect invocations the aborts
// started, which still use the database (disposed first, 21 of them logged ObjectDisposedException in one run; with
// this order a few that outlast the stop still do).
await gateway.DisposeAsync();
await data.DisposeAsync();
await pg.DisposeAsync();
return 0;

// A real client parses on its own device; here the clients share the server's process, so they read only what the
// measurement needs (action and id) without building a document or strings.
static (Received Action, int Id) Classify(ReadOnlySpan<byte> json)
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

static byte[] ChatMessage(byte[] prefix, int n)
{
    Span<byte> digits = stackalloc byte[11];
    n.TryFormat(digits, out var length);
    var message = new byte[prefix.Length + length + 2];
    prefix.CopyTo(message, 0);
    digits[..length].CopyTo(message.AsSpan(prefix.Length));
    "\"}"u8.CopyTo(message.AsSpan(prefix.Length + length));
    return message;
}

static double Percentile(double[] sorted, double q, int digits = 2) =>
    sorted.Length == 0 ? double.NaN : Math.Round(sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * q))], digits);

int Arg(string name, int fallback) => Array.LastIndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
string ArgS(string name, string fallback) => Array.LastIndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;

internal enum Received
{
    Other,
    Receipt,
    Error,
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
