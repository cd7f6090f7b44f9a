using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Lilium.Api.Infrastructure;
using Lilium.Auth;
using Lilium.Aws;
using Lilium.Aws.Credentials;
using Lilium.Aws.Ecs;
using Lilium.Data.Fleet;
using Lilium.Fleet;
using Lilium.Signaling;
using Lilium.Testing;
using Lilium.Testing.Stack;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Lilium.Client.Tests;

/// <summary>
/// The relay fleet on one machine (issue 24), as <c>make run</c> runs it: the REST API and the signaling gateway in
/// this process with the fleet's control plane (placement, the sweep's fleet tick every second), the ECS service and
/// the registry on the :4566 endpoint, and the local relay supervisor as a process that runs as many relay processes
/// as the service's desired count says, behind its load balancer (the one relay URL clients use). It starts at 0
/// relays. Shared by the fleet tests and <c>make bench-failover</c>.
/// </summary>
public sealed class FleetStack(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    private readonly string _service = "relay-" + Guid.NewGuid().ToString("N")[..8];
    private readonly CancellationTokenSource _stop = new();
    private StackDatabase? _database;
    private StackApi? _api;
    private StackSignaling? _signaling;
    private Process? _supervisor;
    private Task _sweeper = Task.CompletedTask;
    private readonly System.Text.StringBuilder _supervisorLog = new();

    public const string Cluster = "lilium-fleet-test";

    /// <summary>The idle period after which the service returns to 0 (set before <see cref="InitializeAsync"/>).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public Uri ApiUrl { get; private set; } = null!;

    public Uri WebSocketUrl { get; private set; } = null!;

    /// <summary>The supervisor's load balancer: the one relay base URL.</summary>
    public Uri RelayUrl { get; private set; } = null!;

    public string Service => _service;

    public FleetControl Fleet { get; private set; } = null!;

    public SignalingHandler Handler { get; private set; } = null!;

    public NpgsqlDataSource Data => _database!.Data;

    /// <summary>What the supervisor printed (for failure messages).</summary>
    public string SupervisorLog
    {
        get
        {
            lock (_supervisorLog)
            {
                return _supervisorLog.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await aws.InitializeAsync();
        var keys = TokenKeys.Generate();
        _database = await StackDatabase.CreateAsync(postgres, "fleet");
        var connections = await StackConnections.CreateAsync(aws, "fleet");
        await LocalEcs.EnsureServiceAsync(aws.Endpoint, Cluster, _service);

        var settings = new FleetSettings { Table = connections.TableName, Cluster = Cluster, Service = _service, IdleTimeout = IdleTimeout };
        var context = new AwsContext(new HttpClient(), AwsSettings.From(aws.Environment), new StaticCredentialsProvider(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey));
        Fleet = new FleetControl(settings, new RelayRegistry(connections.Dynamo, connections.TableName, TimeProvider.System, settings.LiveWindow), new SessionPlacementRepository(_database.Data), new EcsClient(context), TimeProvider.System);

        var lbPort = Ports.FreeTcp();
        RelayUrl = new Uri($"http://127.0.0.1:{lbPort}/");
        _api = await StackApi.StartAsync(Ports.FreeTcp(), _database, keys, configure: b => b.Services.AddSingleton(new FleetAccess(Fleet, RelayUrl)));
        ApiUrl = _api.Url;

        _signaling = await StackSignaling.StartAsync(keys, _database, connections, RelayUrl, Fleet);
        Handler = _signaling.Handler;
        WebSocketUrl = _signaling.WebSocketUrl;
        _sweeper = SweepAsync(_stop.Token); // SWEEP_INTERVAL_SECONDS=1, as under the supervisor

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "media-relay/Lilium.RelaySupervisor/bin/Release/net10.0/Lilium.RelaySupervisor.dll"));
        foreach (var (name, value) in aws.Environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["SUPERVISOR_PORT"] = lbPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["SUPERVISOR_HTTP_PORT_BASE"] = "0";
        start.Environment["SUPERVISOR_UDP_PORT_BASE"] = "0";
        start.Environment["SUPERVISOR_POLL_MS"] = "250";
        start.Environment["RELAY_COMMAND"] = Path.Combine(RepoPaths.Root, "media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll");
        start.Environment["RELAY_CLUSTER"] = Cluster;
        start.Environment["RELAY_SERVICE"] = _service;
        start.Environment["CONNECTIONS_TABLE"] = connections.TableName;
        start.Environment["RELAY_KEY"] = keys.RelayKey;
        start.Environment["RELAY_CONTROL_PLANE_URL"] = ApiUrl.ToString();
        start.Environment["RELAY_BIND_ADDRESS"] = "127.0.0.1";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Lilium"] = "Information";
        start.Environment["DOTNET_gcServer"] = "0";
        _supervisor = new Process { StartInfo = start, EnableRaisingEvents = true };
        _supervisor.OutputDataReceived += (_, e) => Append(e.Data);
        _supervisor.ErrorDataReceived += (_, e) => Append(e.Data);
        _supervisor.Start();
        _supervisor.BeginOutputReadLine();
        _supervisor.BeginErrorReadLine();
        await EventuallyAsync(async () => await StatusAsync() is not null, TimeSpan.FromSeconds(30), "the supervisor answers");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_supervisorLog)
        {
            if (_supervisorLog.Length < 200_000)
            {
                _supervisorLog.AppendLine(line);
            }
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await Handler.SweepAsync(cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Append("sweep failed: " + e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The supervisor's <c>/_supervisor/status</c>; null while it does not answer.</summary>
    public async Task<SupervisorStatus?> StatusAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            return await http.GetFromJsonAsync<SupervisorStatus>(new Uri(RelayUrl, "_supervisor/status"), Json);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    public Task<int> DesiredAsync() => LocalEcs.DesiredCountAsync(aws.Endpoint, Cluster, _service);

    public Task SetDesiredAsync(int desired) => LocalEcs.SetDesiredCountAsync(aws.Endpoint, Cluster, _service, desired);

    /// <summary>Waits until <paramref name="count"/> relays are live in the registry.</summary>
    public Task WaitLiveAsync(int count, TimeSpan timeout) =>
        EventuallyAsync(async () => (await Fleet.Registry.ListLiveAsync()).Count >= count, timeout, $"{count} live relays");

    /// <summary>The relay that owns the session now (sessions.relay_id).</summary>
    public async Task<string?> OwnerAsync(Guid session) => (await Fleet.Placements.GetActiveAsync(session))?.RelayId;

    /// <summary>Sends <paramref name="signal"/> (9: kill -9; 15: SIGTERM) to the relay process.</summary>
    public async Task SignalAsync(string relayId, int signal)
    {
        var status = await StatusAsync() ?? throw new InvalidOperationException("The supervisor does not answer.");
        var relay = status.Relays.FirstOrDefault(r => r.RelayId == relayId && r.Pid > 0)
            ?? throw new InvalidOperationException($"No running relay {relayId}: {JsonSerializer.Serialize(status, Json)}");
        var result = await ProcessRunner.RunAsync("kill", ["-" + signal, relay.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
        result.EnsureSuccess("kill");
    }

    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting until " + what);
            }

            await Task.Delay(100);
        }
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sweeper;
        if (_supervisor is { HasExited: false })
        {
            // SIGTERM: the supervisor stops its relays (drain) and exits.
            await ProcessRunner.RunAsync("kill", ["-15", _supervisor.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            try
            {
                await _supervisor.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _supervisor.Kill(entireProcessTree: true);
            }
        }

        _supervisor?.Dispose();
        foreach (var part in new IAsyncDisposable?[] { _signaling, _api, _database })
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }

        _stop.Dispose();
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
}

/// <summary>The supervisor's <c>/_supervisor/status</c>.</summary>
public sealed record SupervisorStatus(int Desired, long Ticks, IReadOnlyList<SupervisedRelay> Relays);

/// <summary>One relay process as the supervisor reports it.</summary>
public sealed record SupervisedRelay(string RelayId, int Pid, string Url, int MediaPort, string Status, int Sessions, int Peers, bool Stopping);
