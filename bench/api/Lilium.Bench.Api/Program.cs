using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lilium.Protocol;

// Load generator for `make bench-api`: authenticated GET /v1/friends against a running API.
// usage: Lilium.Bench.Api --url <baseUrl> --out <out.json> [--seconds 10] [--concurrency 32] [--friends 20] [--warmup 15]
// Sets up one user with <friends> accepted friends over the API itself, warms up, then measures
// closed-loop reads from <concurrency> workers and writes {"reads_per_s", "p99_ms", ...}.
var cli = new BenchArgs(args);
if (!Uri.TryCreate(cli.Text("--url", ""), UriKind.Absolute, out var baseUrl) || cli.Text("--out", "").Length == 0)
{
    Console.Error.WriteLine("usage: Lilium.Bench.Api --url <baseUrl> --out <out.json> [--seconds 10] [--concurrency 32] [--friends 20] [--warmup 15]");
    return 2;
}

var output = cli.Text("--out", "");
var seconds = cli.Number("--seconds", 10);
var concurrency = cli.Number("--concurrency", 32);
var friendCount = cli.Number("--friends", 20);
var warmupSeconds = cli.Number("--warmup", 15);
var path = Environment.GetEnvironmentVariable("BENCH_PATH") is { Length: > 0 } p ? p : "/v1/friends"; // for comparisons only

using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false };
using var http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

// POST /v1/users with the proof of key ownership (RegistrationProof), as the SDKs send it.
static object Registration(ECDsa key, string nickname)
{
    var publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
    var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    var signature = key.SignData(RegistrationProof.Message(publicKey, nickname, timestamp), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    return new { publicKey, nickname, timestamp, signature = Convert.ToBase64String(signature) };
}

async Task<(Guid Id, string Token)> RegisterAndLogin(string nickname)
{
    using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    var user = await Json(await http.PostAsJsonAsync("/v1/users", Registration(key, nickname)));
    var id = user["id"]!.GetValue<Guid>();
    var challenge = await Json(await http.PostAsJsonAsync("/v1/auth/challenge", new { userId = id }));
    var signature = key.SignData(Convert.FromBase64String(challenge["signedData"]!.GetValue<string>()), HashAlgorithmName.SHA256);
    var tokens = await Json(await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = challenge["challengeId"]!.GetValue<Guid>(), signature = Convert.ToBase64String(signature) }));
    return (id, tokens["accessToken"]!.GetValue<string>());
}

async Task<JsonNode> Json(HttpResponseMessage response)
{
    var text = await response.Content.ReadAsStringAsync();
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{(int)response.StatusCode} {response.RequestMessage?.RequestUri}: {text}");
    }

    return JsonNode.Parse(text)!;
}

HttpRequestMessage Authed(HttpMethod method, string path, string token)
{
    var request = new HttpRequestMessage(method, path);
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    return request;
}

var run = Guid.NewGuid().ToString("N")[..6];
var (hostId, hostToken) = await RegisterAndLogin($"bench-host-{run}");
for (var i = 0; i < friendCount; i++)
{
    var (friendId, friendToken) = await RegisterAndLogin($"bench-friend-{run}-{i:D2}");
    using var request = Authed(HttpMethod.Post, "/v1/friends/requests", hostToken);
    request.Content = JsonContent.Create(new { userId = friendId });
    (await http.SendAsync(request)).EnsureSuccessStatusCode();
    using var accept = Authed(HttpMethod.Post, $"/v1/friends/{hostId}/accept", friendToken);
    (await http.SendAsync(accept)).EnsureSuccessStatusCode();
}

using (var check = Authed(HttpMethod.Get, "/v1/friends", hostToken))
{
    var list = (await Json(await http.SendAsync(check))).AsArray();
    if (list.Count != friendCount || list.Any(f => f!["status"]!.GetValue<string>() != "accepted"))
    {
        throw new InvalidOperationException($"expected {friendCount} accepted friends, got {list.ToJsonString()}");
    }
}

async Task<(List<long> Latencies, int Errors)> Worker(DateTime until, bool record)
{
    var latencies = new List<long>(record ? 100_000 : 0);
    var errors = 0;
    while (DateTime.UtcNow < until)
    {
        var start = Stopwatch.GetTimestamp();
        using var request = Authed(HttpMethod.Get, path, hostToken);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        var elapsed = Stopwatch.GetTimestamp() - start;
        if (response.StatusCode != HttpStatusCode.OK || body.Length < 2)
        {
            errors++;
        }

        if (record)
        {
            latencies.Add(elapsed);
        }
    }

    return (latencies, errors);
}

// warm-up: connection pools on both sides, and tiered JIT — perf showed the tier-1/PGO recompilation thread still
// busy (13 % of the API's CPU in libclrjit) 12–18 s after start, so a short warm-up measures the JIT, not the API.
var warm = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Worker(DateTime.UtcNow.AddSeconds(warmupSeconds), record: true)));
var warmRequests = warm.Sum(w => w.Latencies.Count);

var measureStart = Stopwatch.GetTimestamp();
var results = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Worker(DateTime.UtcNow.AddSeconds(seconds), record: true)));
var wall = Stopwatch.GetElapsedTime(measureStart).TotalSeconds;

var all = results.SelectMany(r => r.Latencies).Order().ToArray();
double Percentile(double p) => all.Length == 0 ? double.NaN : Percentiles.NearestRank(all, p) * 1000.0 / Stopwatch.Frequency;
var errorsTotal = results.Sum(r => r.Errors);
var report = new JsonObject
{
    ["reads_per_s"] = Math.Round(all.Length / wall, 1),
    ["p50_ms"] = Math.Round(Percentile(0.50), 2),
    ["p99_ms"] = Math.Round(Percentile(0.99), 2),
    ["requests"] = all.Length,
    ["requests_including_warmup"] = all.Length + warmRequests,
    ["errors"] = errorsTotal,
    ["seconds"] = Math.Round(wall, 2),
    ["concurrency"] = concurrency,
    ["warmup_seconds"] = warmupSeconds,
    ["friends_per_list"] = friendCount,
    ["path"] = path,
};
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine(report.ToJsonString());
return errorsTotal == 0 ? 0 : 1;
