using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Bench.Signaling;
using Lilium.Data;
using Lilium.Data.Friends;
using Lilium.Data.Migrations;
using Lilium.Fleet;
using Lilium.LocalGateway;
using Lilium.Signaling;
using Lilium.Signaling.Connections;
using Lilium.Testing;

// N clients in N/2 friend pairs; every client sends chat.msg to its friend at a fixed rate (open loop, OpenLoop.cs).
// Latency = scheduled send → chat.receipt at the sender (the receipt is sent after delivery to the friend).
// Lost = measured messages whose receipt never came (or came back as an error).
// The same clients and schedule first run against a floor relay (FloorRelay.cs) that only moves the bytes, so the
// result says what the signaling path adds to what this machine charges for the sockets alone.
var cli = new BenchArgs(args);
var clients = cli.Number("--clients", 1000);
var seconds = cli.Number("--seconds", 10);
var rate = cli.Number("--rate", 5000);
var warmup = cli.Number("--warmup", 10);
var cacheTtl = TimeSpan.FromSeconds(cli.Number("--cache-ttl", (int)SignalingOptions.SingleInstance.LookupCacheTtl.TotalSeconds));
var output = cli.Text("--out", "bench/results/signaling.json");
// --floor 0 skips the same-run floor (below).
var withFloor = cli.Number("--floor", 1) != 0;

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

var ciphertext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(256));
// Each client's message up to its id; only the id changes from message to message.
var prefixes = Enumerable.Range(0, clients)
    .Select(i => Encoding.UTF8.GetBytes($"{{\"v\":1,\"action\":\"chat.msg\",\"to\":\"{users[i ^ 1].Id}\",\"ciphertext\":\"{ciphertext}\",\"id\":\""))
    .ToArray();

// The same-run floor first: the same clients and schedule against a relay that only moves the bytes (FloorRelay.cs).
// Only before: a phase run after another in the same process inherits that phase's garbage (a floor repeated four
// times went 2.7, 3.0, 4.7, 4.1 ms at p99, with gen1 and gen2 collections the first run did not have), so a floor
// measured after the gateway would measure the gateway's leftovers, not the machine.
var floor = withFloor ? await FloorAsync() : null;
var sockets = await ConnectAsync(i => new Uri(gateway.WebSocketUri + "?token=" + Uri.EscapeDataString(users[i].Token)), "local gateway");
var run = await new OpenLoop(sockets, prefixes, rate, warmup, seconds).RunAsync();
Console.Error.WriteLine($"gateway: p50 {run.Percentile(0.5)} ms, p99 {run.Percentile(0.99)} ms, GC paused {run.GcPause.TotalMilliseconds:F0} ms");
// The gateway's figures as the floor's (Summary), plus what only the run as a whole has.
var result = new Dictionary<string, object>
{
    ["clients"] = clients,
    ["offered_msgs_per_s"] = rate,
    ["msgs_per_s"] = Math.Round(run.Acked / (double)seconds, 1),
    ["errors"] = run.Errors,
    ["seconds"] = seconds,
    ["gc_mode"] = (System.Runtime.GCSettings.IsServerGC ? "server" : "workstation") + (Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is { Length: > 0 } gen0 ? $", gen0 budget {gen0}" : ""),
    ["warmup_seconds"] = warmup,
    ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "",
    ["method"] = "open loop, each client sends chat.msg to its friend every clients/rate s (one scheduler thread sends for all clients at their due times); latency = scheduled send to chat.receipt; clients, gateway and handler share one process",
    ["store"] = $"DynamoDB on {aws.Endpoint}, lookup cache TTL: friendships {cacheTtl.TotalSeconds} s, connections {(SignalingOptions.SingleInstance.ConnectionCacheTtl ?? cacheTtl).TotalSeconds} s (single instance, authoritative for connections; stale-while-revalidate)",
};
foreach (var (key, value) in Summary(run))
{
    result[key] = value;
}

if (floor is not null)
{
    // What the signaling path adds to what this machine charges for the same sockets and schedule.
    var summary = Summary(floor);
    summary["what"] = "same clients, schedule and process, measured just before: a Kestrel WebSocket relay with the gateway's receive loop and its two sends (message to the friend, receipt to the sender), without event, handler or lookups";
    result["floor"] = summary;
    result["p50_over_floor"] = Math.Round(run.Percentile(0.50, 4) / floor.Percentile(0.50, 4), 2);
    result["p99_over_floor"] = Math.Round(run.Percentile(0.99, 4) / floor.Percentile(0.99, 4), 2);
}

var json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, json);
Console.WriteLine(json);
Close(sockets);

// The gateway first: its stop waits, within Kestrel's shutdown timeout, for the $disconnect invocations the aborts
// started, which still use the database (disposed first, 21 of them logged ObjectDisposedException in one run; with
// this order a few that outlast the stop still do).
await gateway.DisposeAsync();
await data.DisposeAsync();
await pg.DisposeAsync();
return 0;

async Task<LoadResult> FloorAsync()
{
    await using var relay = new FloorRelay(Ports.FreeTcp(), clients);
    await relay.StartAsync();
    var floorSockets = await ConnectAsync(relay.ClientUri, "floor relay");
    var measured = await new OpenLoop(floorSockets, prefixes, rate, warmup, seconds).RunAsync();
    Console.Error.WriteLine($"floor: p50 {measured.Percentile(0.5)} ms, p99 {measured.Percentile(0.99)} ms, GC paused {measured.GcPause.TotalMilliseconds:F0} ms");
    Close(floorSockets);
    return measured;
}

static Dictionary<string, object> Summary(LoadResult r) => new()
{
    ["p50_ms"] = r.Percentile(0.50),
    ["p99_ms"] = r.Percentile(0.99),
    ["p999_ms"] = r.Percentile(0.999),
    ["max_ms"] = r.Latencies.Length == 0 ? double.NaN : Math.Round(r.Latencies[^1], 2),
    ["lost"] = r.Sent - r.Acked,
    ["p99_ms_per_second"] = r.P99PerSecond,
    ["send_lateness_p99_ms"] = OpenLoop.Percentile(r.Lateness, 0.99),
    ["gc_pause_ms"] = Math.Round(r.GcPause.TotalMilliseconds, 1),
    ["gc_collections_gen012"] = r.GcCollections,
    ["allocated_bytes_per_msg"] = r.AllocatedPerMessage,
    ["process_cpu_cores"] = r.CpuCores,
    ["machine_cpu_cores"] = r.MachineCpuCores,
    ["pool_threads"] = r.PoolThreads,
};

async Task<ClientWebSocket[]> ConnectAsync(Func<int, Uri> uri, string what)
{
    Console.Error.WriteLine($"connecting {clients} clients to the {what}…");
    var clock = Stopwatch.StartNew();
    var connected = new ClientWebSocket[clients];
    // Gateway connects are DynamoDB-bound (moto): a small parallelism and retries keep the setup phase from timing out.
    await Parallel.ForEachAsync(Enumerable.Range(0, clients), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
    {
        for (var attempt = 1; ; attempt++)
        {
            var s = new ClientWebSocket();
            try
            {
                await s.ConnectAsync(uri(i), CancellationToken.None);
                connected[i] = s;
                return;
            }
            catch (WebSocketException) when (attempt < 10)
            {
                // moto answers some concurrent TransactWriteItems with errors ($connect → 500); back off and retry.
                s.Dispose();
                await Task.Delay(100 * attempt, CancellationToken.None);
            }
        }
    });
    Console.Error.WriteLine($"connected in {clock.Elapsed.TotalSeconds:F1} s");
    return connected;
}

static void Close(ClientWebSocket[] sockets)
{
    foreach (var s in sockets)
    {
        s.Abort();
        s.Dispose();
    }
}


