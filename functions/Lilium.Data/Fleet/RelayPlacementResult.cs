namespace Lilium.Data.Fleet;

/// <summary>Where a session's media stands for the one asking (the REST answers' <c>relay</c> object).</summary>
/// <param name="State"><c>ready</c> (a live relay owns it) or <c>starting</c> (none is live yet; one is starting).</param>
/// <param name="RelayId">The owner when ready (the grant's <c>rid</c>).</param>
/// <param name="EtaSeconds">While starting: about how long until a relay is live.</param>
public sealed record RelayPlacementResult(string State, string? RelayId, int? EtaSeconds)
{
    public bool IsReady => State == Lilium.Protocol.Signaling.RelayStates.Ready;
}

/// <summary>A <c>session.relay</c> the members of a session must hear (built by <see cref="FleetControl.TickAsync"/>).</summary>
/// <param name="SessionId">The session.</param>
/// <param name="State"><c>starting</c>, <c>ready</c> or <c>moved</c>.</param>
/// <param name="RelayId">The owner now (ready, moved).</param>
/// <param name="EtaSeconds">While starting.</param>
public sealed record RelayNotice(Guid SessionId, string State, string? RelayId, int? EtaSeconds);

/// <summary>What one fleet tick did.</summary>
/// <param name="Notices">The <c>session.relay</c> messages to send (then <see cref="FleetControl.ToldAsync"/>).</param>
/// <param name="Moves">How many sessions were placed or moved.</param>
/// <param name="Desired">The relay service's desired count the tick set, or null when it left it alone.</param>
public sealed record FleetTick(IReadOnlyList<RelayNotice> Notices, int Moves, int? Desired);
