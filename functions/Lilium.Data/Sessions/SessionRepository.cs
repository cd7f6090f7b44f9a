using Npgsql;

namespace Lilium.Data.Sessions;

public sealed class SessionRepository(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, host_id, state, max_viewers, created_at, ended_at";
    private const string ColumnsWithRelay = Columns + ", relay_id";

    /// <summary>Creates an active session with its host as the first participant, in one transaction.</summary>
    public async Task<Session> CreateAsync(Guid hostId, int maxViewers, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxViewers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxViewers, Session.ViewerLimit);
        var session = new Session(Guid.CreateVersion7(now), hostId, SessionState.Active, maxViewers, now, null);
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await using (var insert = conn.Command($"INSERT INTO sessions ({Columns}) VALUES ($1, $2, 'active', $3, $4, NULL)", tx)
            .Arg(session.Id).Arg(hostId).Arg(maxViewers).Arg(now))
        {
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var host = conn.Command("INSERT INTO session_participants (session_id, user_id, role, joined_at) VALUES ($1, $2, 'host', $3)", tx)
            .Arg(session.Id).Arg(hostId).Arg(now))
        {
            await host.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return session;
    }

    public async Task<Session?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {ColumnsWithRelay} FROM sessions WHERE id = $1").Arg(id);
        return await cmd.ReadFirstAsync(Map, cancellationToken);
    }

    /// <summary>Everyone who ever joined, the host first, then by join time.</summary>
    public async Task<IReadOnlyList<SessionParticipant>> ListParticipantsAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT p.session_id, p.user_id, u.nickname, p.role, p.joined_at, p.left_at
            FROM session_participants p JOIN users u ON u.id = p.user_id
            WHERE p.session_id = $1
            ORDER BY p.role = 'host' DESC, p.joined_at, p.user_id
            """).Arg(sessionId);
        return await cmd.ReadAllAsync(
            r => new SessionParticipant(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3) == "host" ? ParticipantRole.Host : ParticipantRole.Viewer, r.GetTime(4), r.GetTimeOrNull(5)),
            cancellationToken);
    }

    /// <summary>True if the user is the host or an active participant.</summary>
    public async Task<bool> IsActiveParticipantAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT 1 FROM session_participants WHERE session_id = $1 AND user_id = $2 AND left_at IS NULL")
            .Arg(sessionId).Arg(userId);
        return await cmd.ExecuteScalarAsync(cancellationToken) is not null;
    }

    /// <summary>Ends the session and closes every participation, in one transaction; only the host may.</summary>
    public async Task<EndOutcome> EndAsync(Guid sessionId, Guid callerId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var session = await LockAsync(conn, tx, sessionId, cancellationToken);
        if (session is null)
        {
            return EndOutcome.NotFound;
        }

        if (session.HostId != callerId)
        {
            return EndOutcome.NotHost;
        }

        if (session.State == SessionState.Ended)
        {
            return EndOutcome.AlreadyEnded;
        }

        await using (var end = conn.Command("UPDATE sessions SET state = 'ended', ended_at = $2, end_reason = 'host' WHERE id = $1", tx).Arg(sessionId).Arg(now))
        {
            await end.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var leave = conn.Command("UPDATE session_participants SET left_at = $2 WHERE session_id = $1 AND left_at IS NULL", tx).Arg(sessionId).Arg(now))
        {
            await leave.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var revoke = conn.Command("INSERT INTO revocations (kind, session_id, host_id, created_at) VALUES ('session-ended', $1, $2, $3)", tx)
            .Arg(sessionId).Arg(session.HostId).Arg(now))
        {
            await revoke.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return EndOutcome.Ended;
    }

    /// <summary>The host removes a viewer from an active session; the viewer may come back only if admitted again.</summary>
    public async Task<KickOutcome> KickAsync(Guid sessionId, Guid hostId, Guid viewerId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH s AS (SELECT id, host_id, state FROM sessions WHERE id = $1),
                 kicked AS (
                    UPDATE session_participants p SET left_at = $4
                    FROM s WHERE p.session_id = s.id AND s.host_id = $2 AND s.state = 'active'
                      AND p.user_id = $3 AND p.role = 'viewer' AND p.left_at IS NULL
                    RETURNING p.session_id, p.user_id),
                 revoked AS (INSERT INTO revocations (kind, session_id, host_id, user_id, created_at) SELECT 'removed', session_id, $2, user_id, $4 FROM kicked)
            SELECT s.host_id = $2, s.state = 'active', (SELECT count(*) FROM kicked) FROM s
            """).Arg(sessionId).Arg(hostId).Arg(viewerId).Arg(now);
        var row = await cmd.ReadFirstAsync(r => new KickRow(r.GetBoolean(0), r.GetBoolean(1), r.GetInt64(2)), cancellationToken);
        return row switch
        {
            null => KickOutcome.NotFound,
            { Host: false } => KickOutcome.NotHost,
            { Active: false } => KickOutcome.SessionEnded,
            { Kicked: 0 } => KickOutcome.NotParticipant,
            _ => KickOutcome.Kicked,
        };
    }

    /// <summary>How much later than a departed peer's grant an admission may be stamped and still be the one that grant was for (clock skew, ms truncation).</summary>
    public static readonly TimeSpan AdmissionSkew = TimeSpan.FromMilliseconds(250);

    /// <summary>A viewer leaves one session (by their own request); false if they were not in it.</summary>
    public Task<bool> LeaveAsync(Guid sessionId, Guid viewerId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        LeaveAsync(sessionId, viewerId, now, admittedBy: null, cancellationToken);

    /// <summary>
    /// A viewer leaves one session; with <paramref name="admittedBy"/> (a relay's departure: the departed peer's grant
    /// issue time) only if their current admission is not later than that (+ <see cref="AdmissionSkew"/>) — a viewer
    /// who left and was admitted again before the relay's report arrived stays in. False if nothing changed.
    /// </summary>
    public async Task<bool> LeaveAsync(Guid sessionId, Guid viewerId, DateTimeOffset now, DateTimeOffset? admittedBy, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH gone AS (
                UPDATE session_participants SET left_at = $3
                WHERE session_id = $1 AND user_id = $2 AND role = 'viewer' AND left_at IS NULL AND ($4::timestamptz IS NULL OR joined_at <= $4)
                RETURNING session_id, user_id)
            INSERT INTO revocations (kind, session_id, user_id, created_at) SELECT 'removed', session_id, user_id, $3 FROM gone
            """).Arg(sessionId).Arg(viewerId).Arg(now).Arg(admittedBy + AdmissionSkew);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// A user's last signaling connection closed: they leave every active session they view (freeing the places), and
    /// every active session they host is marked as host-away from <paramref name="now"/>.
    /// </summary>
    /// <returns>The sessions left, with their hosts (to be told).</returns>
    public async Task<IReadOnlyList<(Guid SessionId, Guid HostId)>> GoneAsync(Guid userId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await using (var away = conn.Command("UPDATE sessions SET host_away_since = $2 WHERE host_id = $1 AND state = 'active' AND host_away_since IS NULL", tx).Arg(userId).Arg(now))
        {
            await away.ExecuteNonQueryAsync(cancellationToken);
        }

        IReadOnlyList<(Guid, Guid)> left;
        await using (var leave = conn.Command("""
            WITH gone AS (
                UPDATE session_participants p SET left_at = $2
                FROM sessions s
                WHERE p.session_id = s.id AND s.state = 'active' AND p.user_id = $1 AND p.role = 'viewer' AND p.left_at IS NULL
                RETURNING s.id, s.host_id),
                 revoked AS (INSERT INTO revocations (kind, session_id, host_id, user_id, created_at) SELECT 'removed', id, host_id, $1, $2 FROM gone)
            SELECT id, host_id FROM gone
            """, tx).Arg(userId).Arg(now))
        {
            left = await leave.ReadAllAsync(r => (r.GetGuid(0), r.GetGuid(1)), cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return left;
    }

    /// <summary>A host connected again: their sessions are no longer host-away.</summary>
    public async Task BackAsync(Guid hostId, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("UPDATE sessions SET host_away_since = NULL WHERE host_id = $1 AND state = 'active' AND host_away_since IS NOT NULL").Arg(hostId);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Ends every active session whose host has been away since before <paramref name="awayBefore"/> (reason
    /// <c>host-gone</c>), or that was created before <paramref name="createdBefore"/> (reason <c>stale</c>).
    /// </summary>
    /// <returns>Each ended session with the members who were still in it (to be told).</returns>
    public async Task<IReadOnlyList<EndedSession>> EndAbandonedAsync(DateTimeOffset awayBefore, DateTimeOffset createdBefore, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        List<EndedSession> ended = [];
        await using (var end = conn.Command("""
            WITH ended AS (
                UPDATE sessions SET state = 'ended', ended_at = $3,
                       end_reason = CASE WHEN host_away_since < $1 THEN 'host-gone' ELSE 'stale' END
                WHERE state = 'active' AND (host_away_since < $1 OR created_at < $2)
                RETURNING id, host_id, end_reason),
                 revoked AS (INSERT INTO revocations (kind, session_id, host_id, created_at) SELECT 'session-ended', id, host_id, $3 FROM ended)
            SELECT id, host_id, end_reason FROM ended
            """, tx).Arg(awayBefore).Arg(createdBefore).Arg(now))
        {
            foreach (var (id, host, reason) in await end.ReadAllAsync(r => (r.GetGuid(0), r.GetGuid(1), r.GetString(2)), cancellationToken))
            {
                ended.Add(new EndedSession(id, host, reason, []));
            }
        }

        for (var i = 0; i < ended.Count; i++)
        {
            await using var leave = conn.Command("""
                UPDATE session_participants SET left_at = $2 WHERE session_id = $1 AND left_at IS NULL RETURNING user_id
                """, tx).Arg(ended[i].SessionId).Arg(now);
            ended[i] = ended[i] with { Members = await leave.ReadAllAsync(r => r.GetGuid(0), cancellationToken) };
        }

        await tx.CommitAsync(cancellationToken);
        return ended;
    }

    /// <summary>
    /// Ends the participation of either user in active sessions the other hosts (after an unfriend or a block); runs in
    /// the caller's transaction.
    /// </summary>
    internal static async Task<IReadOnlyList<(Guid SessionId, Guid ViewerId)>> LeaveBetweenAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid a, Guid b, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cmd = conn.Command("""
            WITH gone AS (
                UPDATE session_participants p SET left_at = $3
                FROM sessions s
                WHERE p.session_id = s.id AND s.state = 'active' AND p.role = 'viewer' AND p.left_at IS NULL
                  AND ((s.host_id = $1 AND p.user_id = $2) OR (s.host_id = $2 AND p.user_id = $1))
                RETURNING s.id, s.host_id, p.user_id),
                 revoked AS (INSERT INTO revocations (kind, session_id, host_id, user_id, created_at) SELECT 'removed', id, host_id, user_id, $3 FROM gone)
            SELECT id, user_id FROM gone
            """, tx).Arg(a).Arg(b).Arg(now);
        return await cmd.ReadAllAsync(r => (r.GetGuid(0), r.GetGuid(1)), cancellationToken);
    }

    /// <summary>Adds a viewer, honouring the viewer cap; the caller's transaction must hold the session row (FOR UPDATE).</summary>
    internal static async Task<JoinOutcome> JoinLockedAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Session session, Guid userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (session.State == SessionState.Ended)
        {
            return JoinOutcome.Ended;
        }

        await using (var member = conn.Command("SELECT left_at IS NULL FROM session_participants WHERE session_id = $1 AND user_id = $2", tx).Arg(session.Id).Arg(userId))
        {
            if (await member.ExecuteScalarAsync(cancellationToken) is true)
            {
                return JoinOutcome.AlreadyJoined;
            }
        }

        await using (var count = conn.Command("SELECT count(*) FROM session_participants WHERE session_id = $1 AND role = 'viewer' AND left_at IS NULL", tx).Arg(session.Id))
        {
            if ((long)(await count.ExecuteScalarAsync(cancellationToken))! >= session.MaxViewers)
            {
                return JoinOutcome.Full;
            }
        }

        await using var join = conn.Command("""
            INSERT INTO session_participants (session_id, user_id, role, joined_at) VALUES ($1, $2, 'viewer', $3)
            ON CONFLICT (session_id, user_id) DO UPDATE SET joined_at = $3, left_at = NULL
            """, tx).Arg(session.Id).Arg(userId).Arg(now);
        await join.ExecuteNonQueryAsync(cancellationToken);
        return JoinOutcome.Joined;
    }

    internal static async Task<Session?> LockAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid sessionId, CancellationToken cancellationToken)
    {
        await using var select = conn.Command($"SELECT {ColumnsWithRelay} FROM sessions WHERE id = $1 FOR UPDATE", tx).Arg(sessionId);
        return await select.ReadFirstAsync(Map, cancellationToken);
    }

    private sealed record KickRow(bool Host, bool Active, long Kicked);

    internal static Session Map(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetGuid(1), r.GetString(2) == "active" ? SessionState.Active : SessionState.Ended, r.GetInt32(3), r.GetTime(4), r.GetTimeOrNull(5),
            r.FieldCount > 6 && !r.IsDBNull(6) ? r.GetString(6) : null);
}
