namespace Lilium.Data.Sessions;

/// <summary>A hosting session: one host, at most <see cref="MaxViewers"/> viewers at a time.</summary>
public sealed record Session(Guid Id, Guid HostId, SessionState State, int MaxViewers, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt)
{
    public const int ViewerLimit = 64;
}
