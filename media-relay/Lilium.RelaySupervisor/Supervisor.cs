using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Amazon.Runtime;
using Lilium.Aws;
using Lilium.Aws.Credentials;
using Lilium.Aws.Ecs;
using Lilium.Fleet;

namespace Lilium.RelaySupervisor;

/// <summary>
/// Does locally what ECS does for the relay service (FLEET-CONTRACT §3): makes sure the cluster and service exist on
/// the :4566 endpoint (desired 0), reads the desired count every <see cref="SupervisorOptions.PollInterval"/> and runs
/// that many relay processes — starting new ones (fresh id each, as a task gets), replacing one that died (and deleting
/// its registry item at once, as the task-stopped event does on AWS), and, when the count drops, stopping with SIGTERM
/// only relays that hold no session (the ones ECS scale-in protection would leave alone stay). It also reads each
/// relay's /health, which the <see cref="LoadBalancer"/> routes by.
/// </summary>
internal sealed partial class Supervisor(SupervisorOptions options, ILogger<Supervisor> log) : BackgroundService
{
    private readonly Lock _gate = new();
    private readonly List<RelayProcess> _relays = [];
    private readonly HttpClient _health = new() { Timeout = TimeSpan.FromMilliseconds(800) };
    private int _nextId;
    private int _desired;
    private EcsClient? _ecs;
    private RelayRegistry? _registry;
    private long _ticks;

    /// <summary>The desired count last read.</summary>
    public int Desired => Volatile.Read(ref _desired);

    /// <summary>Poll rounds completed (tests wait on it).</summary>
    public long Ticks => Interlocked.Read(ref _ticks);

    /// <summary>The relays now (not yet reaped), oldest first.</summary>
    public IReadOnlyList<RelayProcess> Relays
    {
        get
        {
            lock (_gate)
            {
                return [.. _relays];
            }
        }
    }

    /// <summary>The relays the load balancer may send to: /health said ready (not starting, draining or without address).</summary>
    public IReadOnlyList<RelayProcess> Targets
    {
        get
        {
            lock (_gate)
            {
                return [.. _relays.Where(r => r.Status == "ready" && r.StopRequestedAt is null && !r.HasExited)];
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var context = new AwsContext(new HttpClient { Timeout = TimeSpan.FromSeconds(5) }, AwsSettings.From(options.Aws), Credentials());
        _ecs = new EcsClient(context);
        if (options.Table is { } table)
        {
            var endpoint = options.Aws.GetValueOrDefault("AWS_ENDPOINT_URL_DYNAMODB") ?? options.Aws.GetValueOrDefault("AWS_ENDPOINT_URL");
            AWSCredentials? keys = options.Aws.GetValueOrDefault("AWS_ACCESS_KEY_ID") is { } key && options.Aws.GetValueOrDefault("AWS_SECRET_ACCESS_KEY") is { } secret
                ? new BasicAWSCredentials(key, secret)
                : null;
            _registry = new RelayRegistry(DynamoDbClients.Create(endpoint, keys, endpoint is null ? null : options.Aws.GetValueOrDefault("AWS_REGION") ?? "us-east-1"), table, TimeProvider.System);
            await _registry.EnsureTableAsync(stoppingToken);
        }

        await EnsureServiceAsync(stoppingToken);
        using var timer = new PeriodicTimer(options.PollInterval);
        try
        {
            do
            {
                await TickAsync(stoppingToken);
                Interlocked.Increment(ref _ticks);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Everything this supervisor started stops with it: SIGTERM (each drains and deletes its item), then SIGKILL.
        var relays = Relays;
        foreach (var relay in relays)
        {
            relay.Terminate();
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (relays.Any(r => !r.HasExited) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, CancellationToken.None);
        }

        foreach (var relay in relays)
        {
            if (!relay.HasExited)
            {
                relay.KillNow();
                await RemoveItemAsync(relay.RelayId, CancellationToken.None);
            }

            relay.Dispose();
        }

        lock (_gate)
        {
            _relays.Clear();
        }
    }

    public override void Dispose()
    {
        _health.Dispose();
        base.Dispose();
    }

    private IAwsCredentialsProvider Credentials() =>
        options.Aws.GetValueOrDefault("AWS_ACCESS_KEY_ID") is { } key && options.Aws.GetValueOrDefault("AWS_SECRET_ACCESS_KEY") is { } secret
            ? new StaticCredentialsProvider(key, secret, options.Aws.GetValueOrDefault("AWS_SESSION_TOKEN"))
            : new SdkCredentialsProvider();

    /// <summary>The cluster and the service (desired 0) on the endpoint; an existing service keeps its desired count.</summary>
    private async Task EnsureServiceAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _ecs!.CreateClusterAsync(options.Cluster, cancellationToken);
                var found = await _ecs.DescribeServicesAsync(options.Cluster, [options.Service], cancellationToken);
                if (!found.Services.Any(s => s.Status == "ACTIVE"))
                {
                    var definition = await _ecs.RegisterTaskDefinitionAsync("lilium-relay-local", "relay", "lilium-relay:local", cancellationToken);
                    await _ecs.CreateServiceAsync(options.Cluster, options.Service, definition, 0, cancellationToken);
                    LogCreatedService(log, options.Cluster, options.Service);
                }

                if (options.InitialDesired is { } initial)
                {
                    await _ecs.UpdateServiceAsync(new UpdateServiceRequest(options.Cluster, options.Service) { DesiredCount = initial }, cancellationToken);
                }

                return;
            }
            catch (Exception e) when (e is AwsServiceException or HttpRequestException or TaskCanceledException && attempt < 60 && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(500, cancellationToken);
            }
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        try
        {
            var described = await _ecs!.DescribeServicesAsync(options.Cluster, [options.Service], cancellationToken);
            if (described.Services.FirstOrDefault(s => s.Status == "ACTIVE") is { } service)
            {
                Volatile.Write(ref _desired, Math.Max(0, service.DesiredCount));
            }
        }
        catch (Exception e) when (e is AwsServiceException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogDescribeFailed(log, e.Message); // keep the last desired count
        }

        await ReapAsync(cancellationToken);
        await ReadHealthAsync(cancellationToken);
        var desired = Desired;
        List<RelayProcess> running;
        lock (_gate)
        {
            running = [.. _relays.Where(r => r.StopRequestedAt is null)];
        }

        for (var n = running.Count; n < desired; n++)
        {
            Start();
        }

        if (running.Count > desired)
        {
            // Only relays holding no session may go (unprotected first); a starting one first, then the newest idle.
            var idle = running
                .Where(r => r.Status is not null && r.Sessions == 0)
                .OrderBy(r => r.Status == "ready" ? 1 : 0)
                .ThenByDescending(r => r.StartedAt)
                .Take(running.Count - desired);
            foreach (var relay in idle)
            {
                LogStopping(log, relay.RelayId, desired);
                relay.Terminate();
            }
        }
    }

    /// <summary>Forgets relays that exited: a death (no SIGTERM from us) loses its registry item at once.</summary>
    private async Task ReapAsync(CancellationToken cancellationToken)
    {
        List<RelayProcess> gone;
        lock (_gate)
        {
            gone = [.. _relays.Where(r => r.HasExited || (r.StopRequestedAt is { } at && DateTimeOffset.UtcNow - at > options.StopTimeout))];
        }

        foreach (var relay in gone)
        {
            if (!relay.HasExited)
            {
                relay.KillNow(); // drained for longer than allowed
            }

            var died = relay.StopRequestedAt is null;
            if (died)
            {
                LogDied(log, relay.RelayId, SafeExitCode(relay), relay.Log.Split('\n').TakeLast(5).ToArray());
            }

            // After a SIGTERM the relay deletes its own item; a death or a kill leaves it to us.
            await RemoveItemAsync(relay.RelayId, cancellationToken);
            lock (_gate)
            {
                _relays.Remove(relay);
            }

            relay.Dispose();
        }
    }

    private async Task ReadHealthAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(Relays.Where(r => !r.HasExited).Select(async relay =>
        {
            try
            {
                using var response = await _health.GetAsync(new Uri(relay.BaseUrl, "health"), cancellationToken);
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                var root = json.RootElement;
                relay.Sessions = root.TryGetProperty("sessions", out var s) && s.TryGetInt32(out var sessions) ? sessions : 0;
                relay.Peers = root.TryGetProperty("peers", out var p) && p.TryGetInt32(out var peers) ? peers : 0;
                relay.Status = root.TryGetProperty("status", out var st) ? st.GetString() : null;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                // Not listening yet (starting) or hung: the load balancer skips it; its sessions count stays as last read.
                if (relay.Status is "ready")
                {
                    relay.Status = "unreachable";
                }
            }
        }));
    }

    private RelayProcess Start()
    {
        lock (_gate)
        {
            var slot = Enumerable.Range(1, 1000).First(n => _relays.All(r => r.Slot != n));
            var id = "local-" + Interlocked.Increment(ref _nextId);
            var http = options.HttpPortBase == 0 ? FreePort(SocketType.Stream) : options.HttpPortBase + slot;
            var udp = options.UdpPortBase == 0 ? FreePort(SocketType.Dgram) : options.UdpPortBase + slot;
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, value) in options.Aws)
            {
                if (value is not null)
                {
                    environment[name] = value;
                }
            }

            if (options.Table is { } table)
            {
                environment["CONNECTIONS_TABLE"] = table;
            }

            foreach (var (name, value) in options.RelayEnvironment)
            {
                environment[name] = value;
            }

            environment["RELAY_ID"] = id;
            environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{http}";
            environment["RELAY_PRIVATE_URL"] = $"http://127.0.0.1:{http}/";
            environment["RELAY_MEDIA_PORT"] = udp.ToString(System.Globalization.CultureInfo.InvariantCulture);
            environment["RELAY_BIND_ADDRESS"] = "127.0.0.1";
            environment["RELAY_PUBLIC_IP"] = "127.0.0.1";
            var relay = RelayProcess.Start(options.RelayCommand, id, slot, http, udp, environment, options.LogDirectory);
            _relays.Add(relay);
            LogStarted(log, id, relay.Process.Id, http, udp, Desired);
            return relay;
        }
    }

    private async Task RemoveItemAsync(string relayId, CancellationToken cancellationToken)
    {
        if (_registry is null)
        {
            return;
        }

        try
        {
            await _registry.RemoveAsync(relayId, cancellationToken);
        }
        catch (Exception e) when (e is AmazonServiceException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogRemoveFailed(log, relayId, e.Message);
        }
    }

    private static int SafeExitCode(RelayProcess relay)
    {
        try
        {
            return relay.Process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return -1;
        }
    }

    private static int FreePort(SocketType type)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "created ECS service {Cluster}/{Service} (desired 0)")]
    private static partial void LogCreatedService(ILogger logger, string cluster, string service);

    [LoggerMessage(Level = LogLevel.Information, Message = "started relay {RelayId} (pid {Pid}, http {HttpPort}, udp {UdpPort}) for desired {Desired}")]
    private static partial void LogStarted(ILogger logger, string relayId, int pid, int httpPort, int udpPort, int desired);

    [LoggerMessage(Level = LogLevel.Information, Message = "stopping idle relay {RelayId} (SIGTERM) for desired {Desired}")]
    private static partial void LogStopping(ILogger logger, string relayId, int desired);

    [LoggerMessage(Level = LogLevel.Warning, Message = "relay {RelayId} died (exit {ExitCode}); its registry item is deleted and a replacement starts. Last lines: {Lines}")]
    private static partial void LogDied(ILogger logger, string relayId, int exitCode, string[] lines);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DescribeServices failed: {Message}")]
    private static partial void LogDescribeFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deleting relay {RelayId}'s registry item failed: {Message}")]
    private static partial void LogRemoveFailed(ILogger logger, string relayId, string message);
}
