using Lilium.Auth;
using Lilium.Data.Sessions;
using Npgsql;
using Lilium.Protocol;

namespace Lilium.Data.Grants;

/// <summary>
/// The one admission rule, shared by the REST API (<c>POST /v1/sessions/{id}/relay-grants</c>, <c>…/participants</c>)
/// and signaling (<c>join.accept</c>), and the relay grants it allows:
/// <list type="bullet">
/// <item>the host gets role <see cref="RelayRole.Host"/> (no input permissions: the host is the one controlled);</item>
/// <item>a viewer grant exists only for an active participant — someone the host admitted (a join request accepted, or
/// the host adding them) or who redeemed the host's invite, and who has not left, been kicked, or been blocked since;</item>
/// <item>admitting (<see cref="AdmitAsync"/>) is the host's act alone, for an accepted friend or an invitee, within the viewer cap;</item>
/// <item>a viewer's permissions are the host's current grant to them (none for an invitee who is not a friend);</item>
/// <item>to anyone who may not know of the session (not host, friend of the host or participant, or in a blocked pair)
/// every refusal is <see cref="RelayGrantOutcome.SessionNotFound"/>.</item>
/// </list>
/// The session row is locked for the check and the join, so the viewer cap holds under concurrency.
/// </summary>
public sealed class RelayGrantIssuer(NpgsqlDataSource dataSource, TokenCodec relayCodec)
{
    /// <summary>How long a grant may be presented to the relay; revocations reach the relay separately (docs/security.md).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    /// <summary>A grant for someone already admitted (or the host); never admits anyone.</summary>
    public Task<(RelayGrantOutcome Outcome, RelayGrant? Grant)> IssueAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken = default) =>
        DecideAsync(sessionId, userId, admittedBy: null, cancellationToken);

    /// <summary>
    /// The host <paramref name="hostId"/> admits <paramref name="viewerId"/> (an accepted friend, or already a participant)
    /// and the viewer's grant is issued, in one transaction.
    /// </summary>
    public Task<(RelayGrantOutcome Outcome, RelayGrant? Grant)> AdmitAsync(Guid sessionId, Guid hostId, Guid viewerId, CancellationToken cancellationToken = default) =>
        DecideAsync(sessionId, viewerId, hostId, cancellationToken);

    private async Task<(RelayGrantOutcome Outcome, RelayGrant? Grant)> DecideAsync(Guid sessionId, Guid userId, Guid? admittedBy, CancellationToken cancellationToken)
    {
        if (relayCodec.Kind != TokenKind.Relay)
        {
            throw new InvalidOperationException("The relay grant issuer needs a codec of kind Relay.");
        }

        var now = relayCodec.Time.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var session = await SessionRepository.LockAsync(conn, tx, sessionId, cancellationToken);
        if (session is null || (admittedBy is { } admitter && admitter != session.HostId))
        {
            return (RelayGrantOutcome.SessionNotFound, null);
        }

        if (session.HostId == userId)
        {
            return admittedBy is null && session.State == SessionState.Active
                ? (RelayGrantOutcome.Issued, Sign(session.Id, userId, RelayRole.Host, InputPermissions.None, now, session.RelayId))
                : (session.State == SessionState.Ended ? RelayGrantOutcome.SessionEnded : RelayGrantOutcome.SessionNotFound, null);
        }

        // One row tells friendship state and the host's grant to this user; a second whether they were ever a participant.
        string? pairStatus = null;
        var permissions = InputPermissions.None;
        await using (var pair = conn.Command("""
            SELECT f.status, g.keyboard, g.mouse, g.controller, g.immersion
            FROM friendships f
            LEFT JOIN friend_grants g ON g.granter_id = $1 AND g.grantee_id = $2
            WHERE (f.requester_id = $1 AND f.addressee_id = $2) OR (f.requester_id = $2 AND f.addressee_id = $1)
            """, tx).Arg(session.HostId).Arg(userId))
        await using (var reader = await pair.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                pairStatus = reader.GetString(0);
                if (pairStatus == "accepted" && !reader.IsDBNull(1))
                {
                    permissions = Friends.FriendGrantRepository.Read(reader, 1);
                }
            }
        }

        bool? active;
        await using (var member = conn.Command("SELECT left_at IS NULL FROM session_participants WHERE session_id = $1 AND user_id = $2", tx).Arg(sessionId).Arg(userId))
        {
            active = await member.ExecuteScalarAsync(cancellationToken) as bool?;
        }

        var friend = pairStatus == "accepted";
        if (pairStatus == "blocked" || (!friend && active is null))
        {
            return (RelayGrantOutcome.SessionNotFound, null);
        }

        if (session.State == SessionState.Ended)
        {
            return (RelayGrantOutcome.SessionEnded, null);
        }

        if (active is not true)
        {
            // A former participant (left or kicked) and a friend alike must be admitted (again) by the host; the host
            // admits friends, and an invitee who left comes back only through an invite.
            if (admittedBy is null || !friend)
            {
                return (RelayGrantOutcome.NotAdmitted, null);
            }

            if (await SessionRepository.JoinLockedAsync(conn, tx, session, userId, now, cancellationToken) == JoinOutcome.Full)
            {
                return (RelayGrantOutcome.SessionFull, null);
            }
        }

        await tx.CommitAsync(cancellationToken);
        return (RelayGrantOutcome.Issued, Sign(session.Id, userId, RelayRole.Viewer, permissions, now, session.RelayId));
    }

    private RelayGrant Sign(Guid sessionId, Guid userId, RelayRole role, InputPermissions permissions, DateTimeOffset now, string? relayId)
    {
        var expires = now + Lifetime;
        var token = relayCodec.Issue(new RelayGrantClaims
        {
            Subject = userId,
            IssuedAt = now.ToUnixTimeSeconds(),
            IssuedAtMs = now.ToUnixTimeMilliseconds(),
            ExpiresAt = expires.ToUnixTimeSeconds(),
            SessionId = sessionId,
            Role = role,
            Permissions = permissions,
            RelayId = relayId,
        });
        return new RelayGrant(token, sessionId, userId, role, permissions, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()), relayId);
    }
}
