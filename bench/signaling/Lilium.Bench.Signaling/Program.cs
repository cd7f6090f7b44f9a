using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Data;
using Lilium.Data.Friends;
using Lilium.Data.Migrations;
using Lilium.LocalGateway;
using Lilium.Signaling;
using Lilium.Signaling.Connections;
using Lilium.Testing;

// N clients in N/2 friend pairs; every client sends chat.msg to its friend in a closed loop for the duration.
// Latency = send → chat.receipt at the sender (the receipt is sent after delivery to the friend).
// Lost = messages sent whose receipt never came (or came back as an error).
var clients = Arg("--clients", 1000);
var seconds = Arg("--seconds", 10);
var output = ArgS("--out", "bench/results/signaling.json");

var pg = new PostgresFixture();
await pg.InitializeAsync();
var aws = new AwsEndpointFixture();
await aws.InitializeAsync();
var data = LiliumDatabase.CreateDataSource(await pg.CreateDatabaseAsync("bench_sig"));
await new Migrator(data).MigrateAsync();
var friendships = new FriendshipRepository(data);
var dynamo = new AmazonDynamoDBClient(new BasicAWSCredentials("test", "test"), new AmazonDynamoDBConfig { ServiceURL = aws.Endpoint.ToString(), AuthenticationRegion = "us-east-1" });
var store = new ConnectionStore(dynamo, "bench-" + Guid.NewGuid().ToString("N")[..8], TimeProvider.System);
await store.EnsureTableAsync(default);
var keys = TokenKeys.Generate();
var codec = keys.AccessCodec();
var registry = new ConnectionRegistry();
var handler = SignalingHandler.Create(keys, data, store, registry, new SignalingOptions { RatePerSecond = 1000, RateBurst = 1000 }, TimeProvider.System);
await using var gateway = new LocalGatewayHost(new GatewayOptions { Port = Ports.FreeTcp() }, registry, handler.HandleAsync);
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
        catch (WebSocketException) when (attempt < 3)
        {
            s.Dispose();
        }
    }
});
Console.Error.WriteLine($"connected in {clock0.Elapsed.TotalSeconds:F1} s");

var latencies = new ConcurrentBag<double>();
long sent = 0, acked = 0;
var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
var ciphertext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(256));
var clock = Stopwatch.StartNew();
var tasks = Enumerable.Range(0, clients).Select(i => Task.Run(async () =>
{
    var socket = sockets[i];
    var friend = users[i ^ 1].Id;
    var buffer = new byte[64 * 1024];
    var n = 0;
    while (!stop.IsCancellationRequested)
    {
        var id = i + "-" + n++;
        var started = Stopwatch.GetTimestamp();
        var msg = Encoding.UTF8.GetBytes($"{{\"v\":1,\"action\":\"chat.msg\",\"id\":\"{id}\",\"to\":\"{friend}\",\"ciphertext\":\"{ciphertext}\"}}");
        await socket.SendAsync(msg, WebSocketMessageType.Text, true, CancellationToken.None);
        Interlocked.Increment(ref sent);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await socket.ReceiveAsync(buffer.AsMemory(count), timeout.Token);
                    count += r.Count;
                }
                while (!r.EndOfMessage);
                using var doc = JsonDocument.Parse(buffer.AsMemory(0, count));
                var root = doc.RootElement;
                if (root.GetProperty("action").GetString() == "chat.receipt" && root.GetProperty("id").GetString() == id)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    Interlocked.Increment(ref acked);
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // counted as lost
            return;
        }
    }
})).ToArray();
await Task.WhenAll(tasks);
var elapsed = clock.Elapsed.TotalSeconds;
var sorted = latencies.OrderBy(x => x).ToArray();
var p99 = sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))];
var p50 = sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
var result = new Dictionary<string, object>
{
    ["clients"] = clients,
    ["msgs_per_s"] = Math.Round(acked / elapsed, 1),
    ["p50_ms"] = Math.Round(p50, 2),
    ["p99_ms"] = Math.Round(p99, 2),
    ["lost"] = sent - acked,
    ["seconds"] = Math.Round(elapsed, 1),
    ["store"] = "DynamoDB on " + aws.Endpoint + ", LookupCache TTL 2 s",
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

return 0;

int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
string ArgS(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
