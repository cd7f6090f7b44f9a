using Npgsql;

namespace Lilium.Data.Fleet;

/// <summary>
/// The Postgres side of the relay fleet: which relay owns each active session (<c>sessions.relay_id</c>) and what its
/// members were last told (<c>sessions.relay_told</c>). Placement changes are compare-and-set, so the API and the
/// sweeper (or two sweeper instances) placing the same session at once leave one owner.
/// </summary>
public sealed class SessionPlacementRepository(NpgsqlDataSource dataSource)
{
    /// <summary>The placement of an active session; null when it does not exist or has ended.</summary>
    public async Task<SessionPlacement?> GetActiveAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, host_id, relay_id, relay_told FROM sessions WHERE id = $1 AND state = 'active'").Arg(sessionId);
        return await cmd.ReadFirstAsync(Map, cancellationToken);
    }

    /// <summary>Every active session's placement (bounded by <paramref name="limit"/>), oldest first.</summary>
    public async Task<IReadOnlyList<SessionPlacement>> ListActiveAsync(int limit, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT id, host_id, relay_id, relay_told FROM sessions WHERE state = 'active' ORDER BY created_at LIMIT $1").Arg(limit);
        return await cmd.ReadAllAsync(Map, cancellationToken);
    }

    /// <summary>Moves an active session from <paramref name="expected"/> to <paramref name="relayId"/>; false when another placer changed it first (or it ended).</summary>
    public async Task<bool> TryMoveAsync(Guid sessionId, string? expected, string? relayId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE sessions SET relay_id = $3 WHERE id = $1 AND state = 'active' AND relay_id IS NOT DISTINCT FROM $2
            """).Arg(sessionId).Arg(expected).Arg(relayId);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Records that the members were told <paramref name="told"/>, unless the placement changed meanwhile.</summary>
    public async Task<bool> MarkToldAsync(Guid sessionId, string? relayId, string told, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE sessions SET relay_told = $3 WHERE id = $1 AND relay_id IS NOT DISTINCT FROM $2
            """).Arg(sessionId).Arg(relayId).Arg(told);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The active members of a session: the host and the viewers who have not left.</summary>
    public async Task<IReadOnlyList<Guid>> MembersAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT user_id FROM session_participants WHERE session_id = $1 AND left_at IS NULL").Arg(sessionId);
        return await cmd.ReadAllAsync(r => r.GetGuid(0), cancellationToken);
    }

    /// <summary>
    /// When the fleet last had work: now when any session is active, else the latest end (or creation) of any session;
    /// null when there has never been a session.
    /// </summary>
    public async Task<DateTimeOffset?> LastActivityAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT CASE WHEN EXISTS (SELECT 1 FROM sessions WHERE state = 'active') THEN $1
                        ELSE (SELECT max(coalesce(ended_at, created_at)) FROM sessions) END
            """).Arg(now);
        return await cmd.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    private static SessionPlacement Map(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetGuid(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3));
}
