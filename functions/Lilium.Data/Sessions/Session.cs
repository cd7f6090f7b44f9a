namespace Lilium.Data.Sessions;

/// <summary>A hosting session: one host, at most <see cref="MaxViewers"/> viewers at a time.</summary>
/// <param name="RelayId">The relay that owns its media (relay fleet); null while it waits for one, and in single-relay setups.</param>
public sealed record Session(Guid Id, Guid HostId, SessionState State, int MaxViewers, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt, string? RelayId = null)
{
    public const int ViewerLimit = 64;
}
