using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Data;
using Lilium.Data.Friends;
using Lilium.Data.Migrations;
using Lilium.Fleet;
using Lilium.Lambda.Events;
using Lilium.LocalGateway;
using Lilium.Signaling.Connections;
using Lilium.Testing;

namespace Lilium.Infra.Tests;

/// <summary>
/// The deploy contract between the stack and the signaling code: the published signaling <c>bootstrap</c> runs with the
/// environment the deployed template gives the signaling function (every <c>Ref</c> and <c>Fn::Join</c> resolved against
/// the deployed stack's resources), so it writes to the table the stack created, reads the secret the stack created, and
/// a client connects, chats and disconnects. A table whose keys are not the code's, a variable the code does not read,
/// or a secret it cannot parse fails here instead of on AWS.
/// <para>
/// Three stand-ins, because the local endpoint does not run them: the gateway in front of the function is
/// <see cref="LocalGatewayHost"/> (moto has no WebSocket data plane), so <c>WS_MANAGEMENT_ENDPOINT</c> is the gateway's
/// after checking that the template's value is the deployed stage's callback URL; Postgres is the local cluster
/// (<c>DATABASE_URL</c>, which the code prefers over <c>DB_SECRET_ARN</c>; moto's Aurora is a record, not a server);
/// and <c>AWS_ENDPOINT_URL</c> points the function's SDK clients at the endpoint.
/// </para>
/// </summary>
internal static class DeployedSignaling
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>The signaling function's environment from <paramref name="template"/>, resolved against the deployed stack.</summary>
    public static async Task<Dictionary<string, string>> EnvironmentAsync(string stack, JsonObject template, IReadOnlyDictionary<string, string?> awsEnvironment)
    {
        var resources = template["Resources"]!.AsObject();
        var functions = resources
            .Where(r => (string?)r.Value!["Type"] == "AWS::Lambda::Function" && r.Key.StartsWith("ControlPlaneSignaling", StringComparison.Ordinal))
            .ToList();
        var function = Assert.Single(functions);
        var variables = function.Value!["Properties"]!["Environment"]!["Variables"]!.AsObject();

        var described = await ProcessRunner.RunAsync(
            "aws", ["cloudformation", "describe-stack-resources", "--stack-name", stack, "--output", "json"], TimeSpan.FromMinutes(1), environment: awsEnvironment);
        var physical = JsonDocument.Parse(described.EnsureSuccess("aws cloudformation describe-stack-resources").StdOut).RootElement
            .GetProperty("StackResources").EnumerateArray()
            .Where(r => r.TryGetProperty("PhysicalResourceId", out _))
            .ToDictionary(r => r.GetProperty("LogicalResourceId").GetString()!, r => r.GetProperty("PhysicalResourceId").GetString()!);
        var outputs = await StackOutputsAsync(stack, awsEnvironment);
        var outputExpressions = (template["Outputs"]?.AsObject() ?? [])
            .Where(o => outputs.ContainsKey(o.Key))
            .Select(o => (Expression: o.Value!["Value"]!.ToJsonString(), Value: outputs[o.Key]))
            .ToList();

        string Resolve(JsonNode node)
        {
            if (node is JsonValue value && value.TryGetValue<string>(out var literal))
            {
                return literal;
            }

            // An expression the deployed stack already evaluated for one of its outputs (Fn::GetAtt included).
            var json = node.ToJsonString();
            if (outputExpressions.FirstOrDefault(o => o.Expression == json) is { Value: { } evaluated })
            {
                return evaluated;
            }

            var obj = node.AsObject();
            if (obj["Ref"] is JsonValue reference)
            {
                var name = reference.GetValue<string>();
                return name switch
                {
                    "AWS::Region" => AwsEndpointFixture.Region,
                    "AWS::URLSuffix" => "amazonaws.com",
                    "AWS::Partition" => "aws",
                    _ => physical.TryGetValue(name, out var id) ? id : throw new InvalidOperationException($"Ref {name}: no such resource in the deployed stack"),
                };
            }

            if (obj["Fn::Join"] is JsonArray join)
            {
                return string.Join(join[0]!.GetValue<string>(), join[1]!.AsArray().Select(p => Resolve(p!)));
            }

            throw new InvalidOperationException("The test cannot resolve " + json);
        }

        return variables.ToDictionary(v => v.Key, v => Resolve(v.Value!));
    }

    /// <summary>Runs the published bootstrap with <paramref name="environment"/> behind a local gateway: connect, chat, disconnect.</summary>
    public static async Task ConnectChatDisconnectAsync(Dictionary<string, string> environment, Uri awsEndpoint, string stack, IReadOnlyDictionary<string, string?> awsEnvironment)
    {
        var bootstrap = Path.Combine(RepoPaths.Root, "artifacts", "lambda", "signaling", "bootstrap");
        Assert.True(File.Exists(bootstrap), $"no signaling bundle at {bootstrap} (deploy-local.sh publishes it)");
        foreach (var name in new[] { "CONNECTIONS_TABLE", "TOKEN_KEYS_SECRET_ARN", "DB_SECRET_ARN", "WS_MANAGEMENT_ENDPOINT", "DB_SSL_ROOT_CERT" })
        {
            Assert.True(environment.ContainsKey(name), $"the template gives the signaling function no {name}: {string.Join(", ", environment.Keys)}");
        }

        foreach (var (name, value) in environment.Where(kv => kv.Value.StartsWith("/var/task/", StringComparison.Ordinal)))
        {
            var packaged = Path.Combine(Path.GetDirectoryName(bootstrap)!, value["/var/task/".Length..]);
            Assert.True(File.Exists(packaged), $"{name} names {value}, but the signaling package has no {packaged}");
        }

        // The template's management endpoint is the deployed WebSocket stage's callback URL.
        var outputs = await StackOutputsAsync(stack, awsEnvironment);
        var webSocketUrl = new Uri(outputs["WebSocketUrl"]);
        Assert.Equal($"https://{webSocketUrl.Host}{webSocketUrl.AbsolutePath.TrimEnd('/')}", environment["WS_MANAGEMENT_ENDPOINT"].TrimEnd('/'));

        var keysSecret = await ProcessRunner.RunAsync(
            "aws", ["secretsmanager", "get-secret-value", "--secret-id", environment["TOKEN_KEYS_SECRET_ARN"], "--query", "SecretString", "--output", "text"],
            TimeSpan.FromMinutes(1), environment: awsEnvironment);
        var keys = TokenKeys.TryParse(keysSecret.EnsureSuccess("get-secret-value").StdOut.Trim())
            ?? throw new InvalidOperationException("the deployed token-keys secret does not parse");

        var postgres = new PostgresFixture();
        await postgres.InitializeAsync();
        var connectionString = await postgres.CreateDatabaseAsync("deploy");
        await using var data = LiliumDatabase.CreateDataSource(connectionString);
        await new Migrator(data).MigrateAsync();
        var alice = await TestUsers.InsertAsync(data, keys, "alice");
        var bob = await TestUsers.InsertAsync(data, keys, "bob");
        var friendships = new FriendshipRepository(data);
        await friendships.RequestAsync(alice.Id, bob.Id, DateTimeOffset.UtcNow);
        Assert.True(await friendships.AcceptAsync(bob.Id, alice.Id, DateTimeOffset.UtcNow));

        // What happened when, for the failure message: every invocation the gateway makes and every client step.
        var timeline = new Timeline();
        await using var emulator = await LambdaRuntimeEmulator.StartAsync();
        var registry = new ConnectionRegistry();
        await using var gateway = new LocalGatewayHost(new GatewayOptions { Port = Ports.FreeTcp() }, registry, async (e, ct) =>
        {
            var what = $"{e.RequestContext?.EventType} {e.RequestContext?.ConnectionId}";
            var started = timeline.Add("gateway invokes " + what);
            try
            {
                var result = await emulator.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(e, LambdaEventsJsonContext.Default.WebSocketEvent), cancellationToken: ct);
                timeline.Add($"function answered {what} in {timeline.Since(started)}: {(result.IsError ? "error " : "")}{Encoding.UTF8.GetString(result.Payload)}");
                return result.IsError
                    ? throw new InvalidOperationException("the signaling function failed: " + Encoding.UTF8.GetString(result.Payload))
                    : JsonSerializer.Deserialize(result.Payload, LambdaEventsJsonContext.Default.WebSocketResponse)!;
            }
            catch (Exception error) when (error is not InvalidOperationException)
            {
                timeline.Add($"no answer to {what} after {timeline.Since(started)}: {error.GetType().Name} {error.Message}");
                throw;
            }
        });
        await gateway.StartAsync();

        // Lambda unpacks the package at /var/task: paths the template names there are the published bundle's files, which
        // must exist (the RDS certificate authorities, DB_SSL_ROOT_CERT).
        var package = Path.GetDirectoryName(bootstrap)!;
        var env = new Dictionary<string, string?>(environment.Select(kv => KeyValuePair.Create(kv.Key, (string?)(kv.Value.StartsWith("/var/task/", StringComparison.Ordinal)
            ? Path.Combine(package, kv.Value["/var/task/".Length..])
            : kv.Value))))
        {
            ["WS_MANAGEMENT_ENDPOINT"] = gateway.ManagementEndpoint.ToString().TrimEnd('/'),
            ["DATABASE_URL"] = PostgresFixture.ToUrl(connectionString),
            ["AWS_ENDPOINT_URL"] = awsEndpoint.ToString().TrimEnd('/'),
            ["AWS_ACCESS_KEY_ID"] = AwsEndpointFixture.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = AwsEndpointFixture.SecretAccessKey,
        };
        await using var function = LambdaFunctionProcess.Start(emulator, bootstrap, [], env);
        timeline.Add("function started");
        _ = emulator.FirstPoll.ContinueWith(_ => timeline.Add("function initialised (first poll for an event)"), TaskScheduler.Default);
        var table = new ConnectionStore(
            DynamoDbClients.Create(awsEndpoint.ToString(), new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey), AwsEndpointFixture.Region),
            environment["CONNECTIONS_TABLE"],
            TimeProvider.System);
        try
        {
            await using var b = await Client.ConnectAsync(gateway.WebSocketUri, bob.Token, timeline, "bob");
            var a = await Client.ConnectAsync(gateway.WebSocketUri, alice.Token, timeline, "alice");
            Assert.Single(await table.ListAsync(alice.Id, default));

            var ciphertext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
            await a.SendAsync($"{{\"v\":1,\"action\":\"chat.msg\",\"id\":\"m1\",\"to\":\"{bob.Id}\",\"ciphertext\":\"{ciphertext}\"}}");
            var received = await b.WaitForAsync(m => m.GetProperty("action").GetString() == "chat.msg");
            Assert.Equal(ciphertext, received.GetProperty("ciphertext").GetString());
            Assert.Equal(alice.Id.ToString(), received.GetProperty("from").GetString());
            var receipt = await a.WaitForAsync(m => m.GetProperty("action").GetString() == "chat.receipt");
            Assert.Equal(1, receipt.GetProperty("delivered").GetInt32());

            await a.DisposeAsync();
            var offline = await b.WaitForAsync(m => m.GetProperty("action").GetString() == "presence" && !m.GetProperty("online").GetBoolean());
            Assert.Equal(alice.Id.ToString(), offline.GetProperty("user").GetString());
            Assert.Empty(await table.ListAsync(alice.Id, default));
        }
        catch (Exception e)
        {
            // How fast the endpoint answers now tells a slow endpoint from a function that never got the event.
            var probe = Stopwatch.StartNew();
            string endpointProbe;
            try
            {
                var alices = await table.ListAsync(alice.Id, default);
                endpointProbe = $"a Query on the table took {probe.Elapsed.TotalSeconds:0.00} s; alice's connections there: [{string.Join(", ", alices)}], bob's: [{string.Join(", ", await table.ListAsync(bob.Id, default))}]";
            }
            catch (Exception error)
            {
                endpointProbe = $"a Query on the table failed after {probe.Elapsed.TotalSeconds:0.00} s: {error.Message}";
            }

            throw new InvalidOperationException(
                $"connect/chat/disconnect through the deployed stack failed: {e.GetType().Name}: {e.Message}\n" +
                $"timeline:\n{timeline}\nfunction: {(function.HasExited ? "exited" : "running")}, {emulator.Polls} polls for events, " +
                $"{(emulator.InitError.IsCompleted ? "init error " + emulator.InitError.Result.Text : "no init error")}; {endpointProbe}\n" +
                $"function output:\n{function.Output}",
                e);
        }
    }

    private static async Task<Dictionary<string, string>> StackOutputsAsync(string stack, IReadOnlyDictionary<string, string?> awsEnvironment)
    {
        var result = await ProcessRunner.RunAsync(
            "aws", ["cloudformation", "describe-stacks", "--stack-name", stack, "--query", "Stacks[0].Outputs", "--output", "json"], TimeSpan.FromMinutes(1), environment: awsEnvironment);
        return JsonDocument.Parse(result.EnsureSuccess("aws cloudformation describe-stacks").StdOut).RootElement.EnumerateArray()
            .ToDictionary(o => o.GetProperty("OutputKey").GetString()!, o => o.GetProperty("OutputValue").GetString()!);
    }

    /// <summary>Timestamped lines from the test and the gateway's threads.</summary>
    private sealed class Timeline
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        /// <summary>Records <paramref name="line"/>; returns the time it was recorded.</summary>
        public TimeSpan Add(string line)
        {
            var now = _clock.Elapsed;
            _lines.Enqueue($"  {now.TotalSeconds,7:0.000} s  {line}");
            return now;
        }

        public string Since(TimeSpan start) => $"{(_clock.Elapsed - start).TotalSeconds:0.000} s";

        public override string ToString() => string.Join('\n', _lines);
    }

    /// <summary>A WebSocket client that queues the server's JSON messages.</summary>
    private sealed class Client : IAsyncDisposable
    {
        private readonly System.Net.WebSockets.ClientWebSocket _socket;
        private readonly System.Threading.Channels.Channel<JsonElement> _inbox = System.Threading.Channels.Channel.CreateUnbounded<JsonElement>();
        private readonly List<JsonElement> _seen = [];
        private readonly Task _reader;

        private readonly Timeline _timeline;
        private readonly string _who;

        private Client(System.Net.WebSockets.ClientWebSocket socket, Timeline timeline, string who)
        {
            _socket = socket;
            _timeline = timeline;
            _who = who;
            _reader = Task.Run(ReadAsync);
        }

        public static async Task<Client> ConnectAsync(Uri gateway, string token, Timeline timeline, string who)
        {
            var socket = new System.Net.WebSockets.ClientWebSocket();
            using var cts = new CancellationTokenSource(Timeout);
            var started = timeline.Add(who + " connects");
            await socket.ConnectAsync(new Uri(gateway + "?token=" + Uri.EscapeDataString(token)), cts.Token);
            timeline.Add($"{who} connected in {timeline.Since(started)}");
            return new Client(socket, timeline, who);
        }

        public Task SendAsync(string json)
        {
            _timeline.Add($"{_who} sends {(json.Length > 80 ? json[..80] + "…" : json)}");
            return _socket.SendAsync(Encoding.UTF8.GetBytes(json), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        }

        public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match)
        {
            if (_seen.FindIndex(m => match(m)) is var i and >= 0)
            {
                var found = _seen[i];
                _seen.RemoveAt(i);
                return found;
            }

            using var cts = new CancellationTokenSource(Timeout);
            while (true)
            {
                var next = await _inbox.Reader.ReadAsync(cts.Token);
                if (match(next))
                {
                    return next;
                }

                _seen.Add(next);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_socket.State == System.Net.WebSockets.WebSocketState.Open)
            {
                await _socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            }

            await _reader.WaitAsync(Timeout);
            _socket.Dispose();
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            try
            {
                while (_socket.State == System.Net.WebSockets.WebSocketState.Open)
                {
                    var count = 0;
                    System.Net.WebSockets.ValueWebSocketReceiveResult result;
                    do
                    {
                        result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                        count += result.Count;
                    }
                    while (!result.EndOfMessage);
                    if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                    {
                        break;
                    }

                    var text = Encoding.UTF8.GetString(buffer, 0, count);
                    _timeline.Add($"{_who} received {(text.Length > 160 ? text[..160] + "…" : text)}");
                    _inbox.Writer.TryWrite(JsonDocument.Parse(buffer.AsMemory(0, count)).RootElement.Clone());
                }
            }
            catch (System.Net.WebSockets.WebSocketException)
            {
            }
            finally
            {
                _inbox.Writer.TryComplete();
            }
        }
    }
}
