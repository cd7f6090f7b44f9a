using Npgsql;

namespace Lilium.Data.Sessions;

public sealed class InviteRepository(NpgsqlDataSource dataSource)
{
    /// <summary>Creates an invite to an active session the caller hosts.</summary>
    public async Task<(CreateInviteOutcome Outcome, Invite? Invite)> CreateAsync(
        Guid sessionId, Guid callerId, byte[] codeHash, DateTimeOffset expiresAt, int maxUses, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var invite = new Invite(Guid.CreateVersion7(now), sessionId, callerId, expiresAt, maxUses, 0, now);
        await using var insert = dataSource.CreateCommand("""
            INSERT INTO invites (id, session_id, created_by, code_hash, expires_at, max_uses, uses, created_at)
            SELECT $1, s.id, $3, $4, $5, $6, 0, $7 FROM sessions s WHERE s.id = $2 AND s.host_id = $3 AND s.state = 'active'
            """).Arg(invite.Id).Arg(sessionId).Arg(callerId).Arg(codeHash).Arg(expiresAt).Arg(maxUses).Arg(now);
        if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
        {
            return (CreateInviteOutcome.Created, invite);
        }

        var session = await new SessionRepository(dataSource).GetAsync(sessionId, cancellationToken);
        return (session switch
        {
            null => CreateInviteOutcome.SessionNotFound,
            { HostId: var h } when h != callerId => CreateInviteOutcome.NotHost,
            _ => CreateInviteOutcome.SessionEnded,
        }, null);
    }

    /// <summary>Spends one use of the invite and joins the caller to its session, in one transaction.</summary>
    public async Task<(RedeemOutcome Outcome, Guid? SessionId)> RedeemAsync(byte[] codeHash, Guid userId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        Invite? invite;
        await using (var select = conn.Command("""
            SELECT id, session_id, created_by, expires_at, max_uses, uses, created_at FROM invites WHERE code_hash = $1 FOR UPDATE
            """, tx).Arg(codeHash))
        {
            invite = await select.ReadFirstAsync(r => new Invite(r.GetGuid(0), r.GetGuid(1), r.GetGuid(2), r.GetTime(3), r.GetInt32(4), r.GetInt32(5), r.GetTime(6)), cancellationToken);
        }

        if (invite is null)
        {
            return (RedeemOutcome.NotFound, null);
        }

        if (invite.ExpiresAt <= now)
        {
            return (RedeemOutcome.Expired, invite.SessionId);
        }

        var session = await SessionRepository.LockAsync(conn, tx, invite.SessionId, cancellationToken);
        if (session is null)
        {
            return (RedeemOutcome.NotFound, null);
        }

        // The host blocked the redeemer (or the reverse): the invite does not exist for them.
        await using (var blocked = conn.Command("""
            SELECT 1 FROM friendships WHERE status = 'blocked'
              AND ((requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1))
            """, tx).Arg(session.HostId).Arg(userId))
        {
            if (await blocked.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return (RedeemOutcome.NotFound, null);
            }
        }

        if (session.State == SessionState.Active && invite.Uses >= invite.MaxUses)
        {
            return (RedeemOutcome.Exhausted, invite.SessionId);
        }

        var joined = await SessionRepository.JoinLockedAsync(conn, tx, session, userId, now, cancellationToken);
        switch (joined)
        {
            case JoinOutcome.Joined:
                await using (var spend = conn.Command("UPDATE invites SET uses = uses + 1 WHERE id = $1", tx).Arg(invite.Id))
                {
                    await spend.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                return (RedeemOutcome.Joined, session.Id);
            case JoinOutcome.AlreadyJoined:
                return (RedeemOutcome.AlreadyJoined, session.Id);
            case JoinOutcome.Full:
                return (RedeemOutcome.SessionFull, session.Id);
            default:
                return (RedeemOutcome.SessionEnded, session.Id);
        }
    }
}
