namespace Lilium.Fleet;

/// <summary>
/// One relay task as the registry holds it (FLEET-CONTRACT §1; item <c>pk = "R#relays"</c>, <c>sk = RelayId</c>).
/// </summary>
/// <param name="RelayId">ECS task id, <c>RELAY_ID</c> (local supervisor), else random.</param>
/// <param name="PrivateUrl">Base URL other relays and the control plane reach it on, ending in <c>/</c>.</param>
/// <param name="MediaAddress"><c>ip:port</c> its ICE candidates advertise.</param>
/// <param name="Capacity">Most peers it takes (<c>RELAY_MAX_PEERS</c>).</param>
/// <param name="Load">Live peers now.</param>
/// <param name="Sessions">Sessions it holds now.</param>
/// <param name="Draining">SIGTERM received: it takes no new sessions and its sessions move.</param>
/// <param name="HeartbeatMs">Unix milliseconds of the write (set by <see cref="RelayRegistry.HeartbeatAsync"/>).</param>
/// <param name="TaskArn">The ECS task ARN, when it runs on ECS.</param>
public sealed record RelayRecord(
    string RelayId,
    string PrivateUrl,
    string MediaAddress,
    int Capacity,
    int Load,
    int Sessions,
    bool Draining,
    long HeartbeatMs,
    string? TaskArn = null)
{
    /// <summary>
    /// Live: heard from within <paramref name="liveWindow"/> of <paramref name="now"/> and not draining. A heartbeat
    /// written slightly in the future (clock skew between tasks) counts as live.
    /// </summary>
    public bool IsLive(DateTimeOffset now, TimeSpan liveWindow) =>
        !Draining && HeartbeatMs >= now.ToUnixTimeMilliseconds() - (long)liveWindow.TotalMilliseconds;

    /// <summary>Heard from recently, draining or not: its process still runs (a draining relay still serves its peers).</summary>
    public bool IsBeating(DateTimeOffset now, TimeSpan liveWindow) =>
        HeartbeatMs >= now.ToUnixTimeMilliseconds() - (long)liveWindow.TotalMilliseconds;

    /// <summary>Has room for one more peer.</summary>
    public bool HasRoom => Load < Capacity;
}
