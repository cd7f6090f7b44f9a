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

    private readonly Channel<Departure> _queue = Channel.CreateBounded<Departure>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>Whether a subscriber closed for <paramref name="reason"/> left on their own.</summary>
    public static bool IsDeparture(string reason) => !NotDepartures.Contains(reason);

    /// <summary>Queues a report that <paramref name="user"/> left <paramref name="session"/>, from a peer whose grant was issued at <paramref name="grantIssuedMs"/>.</summary>
    public void Report(Guid session, Guid user, long grantIssuedMs) => _queue.Writer.TryWrite(new Departure(session, user, grantIssuedMs));

    public bool TryTake(out Departure departure) => _queue.Reader.TryRead(out departure);
}

/// <summary>One viewer's departure: the departed peer's grant issue time (Unix ms) lets the control plane tell it from a later admission.</summary>
internal readonly record struct Departure(Guid Session, Guid User, long GrantIssuedMs);
