using Npgsql;

namespace Lilium.Data.Sessions;

public sealed class SessionRepository(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, host_id, state, max_viewers, created_at, ended_at";

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
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM sessions WHERE id = $1").Arg(id);
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

        await using (var end = conn.Command("UPDATE sessions SET state = 'ended', ended_at = $2 WHERE id = $1", tx).Arg(sessionId).Arg(now))
        {
            await end.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var leave = conn.Command("UPDATE session_participants SET left_at = $2 WHERE session_id = $1 AND left_at IS NULL", tx).Arg(sessionId).Arg(now))
        {
            await leave.ExecuteNonQueryAsync(cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return EndOutcome.Ended;
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
        await using var select = conn.Command($"SELECT {Columns} FROM sessions WHERE id = $1 FOR UPDATE", tx).Arg(sessionId);
        return await select.ReadFirstAsync(Map, cancellationToken);
    }

    internal static Session Map(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetGuid(1), r.GetString(2) == "active" ? SessionState.Active : SessionState.Ended, r.GetInt32(3), r.GetTime(4), r.GetTimeOrNull(5));
}
