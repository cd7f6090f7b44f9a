namespace Lilium.Data.Fleet;

/// <summary>An active session and where its media lives.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="HostId">Its host.</param>
/// <param name="RelayId">The relay that owns it; null while it waits for one.</param>
/// <param name="RelayTold">What the members were last told (<c>""</c>: starting; else a relay id; null: nothing yet).</param>
public sealed record SessionPlacement(Guid SessionId, Guid HostId, string? RelayId, string? RelayTold);
