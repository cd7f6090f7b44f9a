using Lilium.Relay.Fleet;
using Lilium.Relay.Media;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Sessions;

/// <summary>
/// Graceful drain on SIGTERM (ECS stops tasks that way): stop accepting sessions (503 + Retry-After,
/// /health → 503 so the ALB stops routing), give peers up to <see cref="RelayOptions.DrainTimeout"/>
/// to leave, then close the rest with DTLS close_notify and let the host exit. It runs in
/// <see cref="IHostedLifecycleService.StoppingAsync"/>, before any hosted service stops, so Kestrel
/// keeps answering (503s and /health) while the drain lasts. In a fleet the registry item says <c>draining</c> at once,
/// so the control plane moves the sessions while their peers are still served here; the item goes when the host stops.
/// </summary>
internal sealed partial class DrainService(
    SessionRegistry registry, PeerTransport transport, HeartbeatService heartbeat, IOptions<RelayOptions> options, ILogger<DrainService> log) : IHostedLifecycleService
{
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        registry.StartDraining();
        LogDraining(registry.PeerCount);
        await heartbeat.BeatNowAsync(cancellationToken);
        var deadline = Environment.TickCount64 + (long)options.Value.DrainTimeout.TotalMilliseconds;
        while (registry.PeerCount > 0 && Environment.TickCount64 < deadline && !cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(200, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        foreach (var peer in registry.Peers.ToList())
        {
            transport.Close(peer, "relay shutting down");
        }

        LogDrained();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "draining: {Peers} peers connected, refusing new sessions")]
    private partial void LogDraining(int peers);

    [LoggerMessage(Level = LogLevel.Information, Message = "drained; exiting")]
    private partial void LogDrained();
}
