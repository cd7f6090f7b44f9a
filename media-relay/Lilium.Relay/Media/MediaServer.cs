namespace Lilium.Relay.Media;

/// <summary>
/// The hosted service that composes the media core: it runs the <see cref="MediaSocket"/> with the
/// <see cref="MediaDispatcher"/> as its receiver and the composed <see cref="IPacketSender"/> (production: the socket's
/// own; tests may decorate it), and once a second sweeps ICE-TCP connections, checks each peer's liveness
/// (<see cref="PeerTransport"/>) and lets the <see cref="SfuForwarder"/> send its reports.
/// </summary>
internal sealed partial class MediaServer(
    MediaSocket socket, MediaDispatcher dispatcher, IPacketSender sender, PeerTransport transport, SfuForwarder forwarder,
    Sessions.SessionRegistry registry, ILogger<MediaServer> log) : BackgroundService
{
    private readonly ILogger<MediaServer> _log = log;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var housekeeping = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var timers = Housekeeping(housekeeping, stoppingToken);
        await socket.RunAsync(dispatcher, sender, stoppingToken);
        await timers;
    }

    private async Task Housekeeping(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Environment.TickCount64;
                socket.Sweep(now);
                foreach (var peer in registry.Peers)
                {
                    try
                    {
                        if (transport.CheckLiveness(peer, now))
                        {
                            forwarder.OnTick(peer);
                        }
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        LogHousekeepingFailed(ex, peer.Id);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "housekeeping of peer {PeerId} failed")]
    private partial void LogHousekeepingFailed(Exception ex, Guid peerId);
}
