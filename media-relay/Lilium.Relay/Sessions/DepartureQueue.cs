using System.Threading.Channels;

namespace Lilium.Relay.Sessions;

/// <summary>
/// Viewers who left on their own (WHEP DELETE, DTLS close, consent or connect timeout), to be reported to the control
/// plane (<see cref="RevocationPoller"/> posts them), which ends the participation and frees the place. Bounded: when
/// the control plane is unreachable for long, the oldest reports go (the viewer's signaling disconnect or the host
/// still ends the participation).
/// </summary>
internal sealed class DepartureQueue
{
    /// <summary>Close reasons that are the control plane's own doing (or the relay's shutdown): never reported back.</summary>
    private static readonly HashSet<string> NotDepartures = new(StringComparer.Ordinal)
    {
        "removed", "session-ended", "login-revoked", "publisher-gone", "relay shutting down",
    };

    private readonly Channel<(Guid Session, Guid User)> _queue = Channel.CreateBounded<(Guid, Guid)>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Whether a subscriber closed for <paramref name="reason"/> left on their own.</summary>
    public static bool IsDeparture(string reason) => !NotDepartures.Contains(reason);

    public void Report(Guid session, Guid user) => _queue.Writer.TryWrite((session, user));

    public bool TryTake(out (Guid Session, Guid User) departure) => _queue.Reader.TryRead(out departure);
}
