using System.Net;
using Lilium.Fleet;
using Lilium.Relay.Http;
using Lilium.Relay.Media;
using Lilium.Relay.Sessions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Fleet;

/// <summary>
/// Writes this relay's registry item every <c>RELAY_HEARTBEAT_MS</c> once it is ready (FLEET-CONTRACT §1) — load,
/// sessions, draining — and keeps ECS task scale-in protection on while it holds sessions. A relay that is not ready
/// writes nothing. <see cref="BeatNowAsync"/> writes at once (the drain marks <c>draining</c> without waiting a beat);
/// on a clean stop the item is deleted after the drain, so the control plane sees the task gone at once.
/// </summary>
internal sealed partial class HeartbeatService(
    RelayFleet fleet, RelayAdvertisement advertisement, SessionRegistry sessions, MediaSocket media, IServer server,
    IHostApplicationLifetime lifetime, IOptions<RelayOptions> options, TimeProvider time, ILogger<HeartbeatService> log) : BackgroundService
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly HttpClient _agentHttp = new() { Timeout = TimeSpan.FromSeconds(3) };
    private TaskProtection? _protection;
    private bool _registered;
    private int _failures;
    private string? _privateUrl;

    /// <summary>The last record written (null before the first).</summary>
    public RelayRecord? Last { get; private set; }

    public TaskProtection? Protection => _protection;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (fleet.Environment.AgentUri is { } agent)
        {
            _protection = new TaskProtection(_agentHttp, agent, time, log);
        }

        if (fleet.Registry is null && _protection is null)
        {
            return;
        }

        using var timer = new PeriodicTimer(fleet.Environment.Settings.HeartbeatInterval, time);
        try
        {
            // Hosted services start before Kestrel listens: the first record must name the port it listens on (the
            // private URL is read once, from the server's addresses), and no session may be placed here before then.
            await StartedAsync(stoppingToken);
            do
            {
                await BeatNowAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task StartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        await started.Task;
    }

    /// <summary>One heartbeat (and protection update) now; never throws for a failed call (the next beat retries).</summary>
    public async Task BeatNowAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (cancellationToken.IsCancellationRequested)
        {
            return;
        }

        try
        {
            if (_protection is not null)
            {
                await _protection.UpdateAsync(sessions.SessionCount > 0, cancellationToken);
            }

            if (fleet.Registry is { } registry && advertisement.State == Readiness.Ready && advertisement.Address is { } address)
            {
                _privateUrl ??= PrivateUrl();
                var record = new RelayRecord(
                    advertisement.RelayId, _privateUrl, new IPEndPoint(address, media.LocalEndPoint.Port).ToString(), options.Value.MaxPeers,
                    sessions.PeerCount, sessions.SessionCount, sessions.IsDraining, 0, advertisement.TaskArn);
                Last = await registry.HeartbeatAsync(record, cancellationToken);
                if (!_registered)
                {
                    _registered = true;
                    LogRegistered(log, record.RelayId, record.PrivateUrl, record.MediaAddress);
                }

                _failures = 0;
            }
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not OutOfMemoryException)
        {
            if (_failures++ % 30 == 0)
            {
                LogFailed(log, e.GetType().Name, e.Message);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            if (_registered && fleet.Registry is { } registry)
            {
                await registry.RemoveAsync(advertisement.RelayId, cancellationToken);
                LogRemoved(log, advertisement.RelayId);
            }

            if (_protection is { Enabled: true })
            {
                await _protection.UpdateAsync(false, cancellationToken);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogFailed(log, e.GetType().Name, e.Message);
        }
        finally
        {
            _registered = false;
        }
    }

    public override void Dispose()
    {
        _agentHttp.Dispose();
        _writing.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// <c>RELAY_PRIVATE_URL</c>; else the task's private IP (ECS metadata) with the HTTP port; else the address Kestrel
    /// listens on, a wildcard host read as 127.0.0.1 (one machine).
    /// </summary>
    private string PrivateUrl()
    {
        if (fleet.Environment.PrivateUrl is { } configured)
        {
            return configured;
        }

        var listening = server.Features.Get<IServerAddressesFeature>()?.Addresses
            .Select(a => Uri.TryCreate(a.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var u) ? u : null)
            .FirstOrDefault(u => u is { Scheme: "http" });
        var port = listening?.Port ?? 8080;
        if (advertisement.PrivateIp is { } privateIp)
        {
            return $"http://{new IPEndPoint(privateIp, port)}/";
        }

        var host = listening is null || listening.Host is "0.0.0.0" or "[::]" or "localhost" ? "127.0.0.1" : listening.Host;
        return $"http://{host}:{port}/";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "registered as relay {RelayId} at {PrivateUrl}, media {MediaAddress}")]
    private static partial void LogRegistered(ILogger logger, string relayId, string privateUrl, string mediaAddress);

    [LoggerMessage(Level = LogLevel.Information, Message = "relay {RelayId} removed from the registry")]
    private static partial void LogRemoved(ILogger logger, string relayId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "heartbeat failed: {Type}: {Message}")]
    private static partial void LogFailed(ILogger logger, string type, string message);
}
