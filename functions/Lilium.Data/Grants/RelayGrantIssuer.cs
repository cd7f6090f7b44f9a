using Lilium.Auth;
using Lilium.Data.Sessions;
using Npgsql;
using Lilium.Protocol;

namespace Lilium.Data.Grants;

/// <summary>
/// Issues relay grants: the token the media relay verifies (HMAC, relay key) before it lets a host
/// publish or a viewer subscribe. Rules:
/// <list type="bullet">
/// <item>the host gets role <see cref="RelayRole.Host"/> (no input permissions: the host is the one controlled);</item>
/// <item>an active participant (someone who redeemed an invite or joined before) gets <see cref="RelayRole.Viewer"/>;</item>
/// <item>an accepted friend of the host joins as a viewer (if a place is free) and gets <see cref="RelayRole.Viewer"/>;</item>
/// <item>anyone else, or anyone in a blocked pair with the host, is refused;</item>
/// <item>a viewer's permissions are the host's current grant to them (none for an invitee who is not a friend).</item>
/// </list>
/// The session row is locked for the check and join, so the viewer cap holds under concurrency.
/// Shared by the REST API and the signaling function (which issues a grant when a host admits a viewer).
/// </summary>
public sealed class RelayGrantIssuer(NpgsqlDataSource dataSource, TokenCodec relayCodec)
{
    /// <summary>How long a grant may be presented to the relay; it is checked when media starts, not afterwards.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    public async Task<(RelayGrantOutcome Outcome, RelayGrant? Grant)> IssueAsync(Guid sessionId, Guid userId, CancellationToken cancellationToken = default)
    {
        if (relayCodec.Kind != TokenKind.Relay)
        {
            throw new InvalidOperationException("The relay grant issuer needs a codec of kind Relay.");
        }

        var now = relayCodec.Time.GetUtcNow();
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        var session = await SessionRepository.LockAsync(conn, tx, sessionId, cancellationToken);
        if (session is null)
        {
            return (RelayGrantOutcome.SessionNotFound, null);
        }

        if (session.State == SessionState.Ended)
        {
            return (RelayGrantOutcome.SessionEnded, null);
        }

        if (session.HostId == userId)
        {
            return (RelayGrantOutcome.Issued, Sign(session.Id, userId, RelayRole.Host, InputPermissions.None, now));
        }

        // One row tells friendship state and the host's grant to this user.
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

        if (pairStatus == "blocked")
        {
            return (RelayGrantOutcome.Forbidden, null);
        }

        bool isParticipant;
        await using (var member = conn.Command("SELECT 1 FROM session_participants WHERE session_id = $1 AND user_id = $2 AND left_at IS NULL", tx).Arg(sessionId).Arg(userId))
        {
            isParticipant = await member.ExecuteScalarAsync(cancellationToken) is not null;
        }

        if (!isParticipant)
        {
            if (pairStatus != "accepted")
            {
                return (RelayGrantOutcome.Forbidden, null);
            }

            var joined = await SessionRepository.JoinLockedAsync(conn, tx, session, userId, now, cancellationToken);
            if (joined == JoinOutcome.Full)
            {
                return (RelayGrantOutcome.SessionFull, null);
            }
        }

        await tx.CommitAsync(cancellationToken);
        return (RelayGrantOutcome.Issued, Sign(session.Id, userId, RelayRole.Viewer, permissions, now));
    }

    private RelayGrant Sign(Guid sessionId, Guid userId, RelayRole role, InputPermissions permissions, DateTimeOffset now)
    {
        var expires = now + Lifetime;
        var token = relayCodec.Issue(new RelayGrantClaims
        {
            Subject = userId,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = expires.ToUnixTimeSeconds(),
            SessionId = sessionId,
            Role = role,
            Permissions = permissions,
        });
        return new RelayGrant(token, sessionId, userId, role, permissions, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }
}
