using Npgsql;

namespace Lilium.Data.Friends;

/// <summary>
/// Friendships: one row per unordered pair (a unique index on LEAST/GREATEST of the ids), so two
/// crossing requests cannot create two rows. Writes that touch more than one row run in a transaction.
/// </summary>
public sealed class FriendshipRepository(NpgsqlDataSource dataSource)
{
    private const string Pair = "((requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1))";

    public async Task<Friendship?> GetAsync(Guid a, Guid b, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT requester_id, addressee_id, status, created_at, updated_at FROM friendships WHERE {Pair}").Arg(a).Arg(b);
        return await cmd.ReadFirstAsync(Map, cancellationToken);
    }

    public async Task<bool> AreFriendsAsync(Guid a, Guid b, CancellationToken cancellationToken = default) =>
        await GetAsync(a, b, cancellationToken) is { Status: FriendshipStatus.Accepted };

    public async Task<FriendRequestOutcome> RequestAsync(Guid me, Guid other, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (me == other)
        {
            return FriendRequestOutcome.Self;
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        try
        {
            await using (var insert = conn.Command("""
                INSERT INTO friendships (requester_id, addressee_id, status, created_at, updated_at) VALUES ($1, $2, 'pending', $3, $3)
                ON CONFLICT DO NOTHING
                """, tx).Arg(me).Arg(other).Arg(now))
            {
                if (await insert.ExecuteNonQueryAsync(cancellationToken) == 1)
                {
                    await tx.CommitAsync(cancellationToken);
                    return FriendRequestOutcome.Requested;
                }
            }
        }
        catch (PostgresException e) when (PostgresErrors.IsForeignKeyViolation(e))
        {
            return FriendRequestOutcome.UserNotFound;
        }

        Friendship existing;
        await using (var select = conn.Command($"SELECT requester_id, addressee_id, status, created_at, updated_at FROM friendships WHERE {Pair} FOR UPDATE", tx).Arg(me).Arg(other))
        {
            existing = await select.ReadFirstAsync(Map, cancellationToken) ?? throw new InvalidOperationException("The conflicting friendship row vanished.");
        }

        FriendRequestOutcome outcome;
        switch (existing.Status)
        {
            case FriendshipStatus.Blocked:
                return FriendRequestOutcome.Blocked;
            case FriendshipStatus.Accepted:
                return FriendRequestOutcome.AlreadyFriends;
            case FriendshipStatus.Pending when existing.RequesterId == me:
                return FriendRequestOutcome.AlreadyPending;
            case FriendshipStatus.Pending:
                await SetAsync(conn, tx, existing.RequesterId, existing.AddresseeId, FriendshipStatus.Accepted, now, cancellationToken);
                outcome = FriendRequestOutcome.Accepted;
                break;
            default: // Declined: either side may ask again; the caller becomes the requester.
                await using (var renew = conn.Command($"""
                    UPDATE friendships SET requester_id = $1, addressee_id = $2, status = 'pending', updated_at = $3 WHERE {Pair}
                    """, tx).Arg(me).Arg(other).Arg(now))
                {
                    await renew.ExecuteNonQueryAsync(cancellationToken);
                }

                outcome = FriendRequestOutcome.Requested;
                break;
        }

        await tx.CommitAsync(cancellationToken);
        return outcome;
    }

    /// <summary>Accepts a pending request that <paramref name="requester"/> sent to <paramref name="me"/>.</summary>
    public Task<bool> AcceptAsync(Guid me, Guid requester, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        AnswerAsync(me, requester, FriendshipStatus.Accepted, now, cancellationToken);

    /// <summary>Declines a pending request that <paramref name="requester"/> sent to <paramref name="me"/>.</summary>
    public Task<bool> DeclineAsync(Guid me, Guid requester, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        AnswerAsync(me, requester, FriendshipStatus.Declined, now, cancellationToken);

    /// <summary>
    /// Ends the pair (a friendship, a request either way, or a block the caller placed) and both
    /// sides' grants. A block the other user placed stays: false.
    /// </summary>
    public async Task<bool> RemoveAsync(Guid me, Guid other, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        await using (var delete = conn.Command($"DELETE FROM friendships WHERE {Pair} AND NOT (status = 'blocked' AND requester_id = $2)", tx).Arg(me).Arg(other))
        {
            if (await delete.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                return false;
            }
        }

        await DeleteGrantsAsync(conn, tx, me, other, cancellationToken);
        await Sessions.SessionRepository.LeaveBetweenAsync(conn, tx, me, other, now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Blocks <paramref name="other"/>: the pair becomes blocked (by the caller) and both sides' grants go.</summary>
    public async Task<bool> BlockAsync(Guid me, Guid other, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (me == other)
        {
            return false;
        }

        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await conn.BeginTransactionAsync(cancellationToken);
        try
        {
            // A block the other user already placed is kept as it is: the pair is blocked either way.
            await using var upsert = conn.Command("""
                INSERT INTO friendships (requester_id, addressee_id, status, created_at, updated_at) VALUES ($1, $2, 'blocked', $3, $3)
                ON CONFLICT ((LEAST(requester_id, addressee_id)), (GREATEST(requester_id, addressee_id)))
                DO UPDATE SET requester_id = $1, addressee_id = $2, status = 'blocked', updated_at = $3
                WHERE friendships.status <> 'blocked'
                """, tx).Arg(me).Arg(other).Arg(now);
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (PostgresErrors.IsForeignKeyViolation(e))
        {
            return false;
        }

        await DeleteGrantsAsync(conn, tx, me, other, cancellationToken);
        await Sessions.SessionRepository.LeaveBetweenAsync(conn, tx, me, other, now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>The user's friends, requests both ways and blocks they placed (not blocks placed on them).</summary>
    public async Task<IReadOnlyList<FriendEntry>> ListAsync(Guid me, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT u.id, u.nickname, u.key_fingerprint, f.status, f.requester_id = $1, f.updated_at
            FROM friendships f
            JOIN users u ON u.id = CASE WHEN f.requester_id = $1 THEN f.addressee_id ELSE f.requester_id END
            WHERE (f.requester_id = $1 OR f.addressee_id = $1)
              AND NOT (f.status = 'blocked' AND f.addressee_id = $1)
            ORDER BY lower(u.nickname), u.id
            """).Arg(me);
        return await cmd.ReadAllAsync(
            r => new FriendEntry(r.GetGuid(0), r.GetString(1), r.GetString(2), FriendshipStatusText.FromDb(r.GetString(3)), r.GetBoolean(4), r.GetTime(5)),
            cancellationToken);
    }

    private async Task<bool> AnswerAsync(Guid me, Guid requester, FriendshipStatus status, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand("""
            UPDATE friendships SET status = $3, updated_at = $4 WHERE requester_id = $1 AND addressee_id = $2 AND status = 'pending'
            """).Arg(requester).Arg(me).Arg(status.ToDb()).Arg(now);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task SetAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid requester, Guid addressee, FriendshipStatus status, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var cmd = conn.Command("UPDATE friendships SET status = $3, updated_at = $4 WHERE requester_id = $1 AND addressee_id = $2", tx)
            .Arg(requester).Arg(addressee).Arg(status.ToDb()).Arg(now);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task DeleteGrantsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, Guid a, Guid b, CancellationToken cancellationToken)
    {
        await using var cmd = conn.Command("DELETE FROM friend_grants WHERE (granter_id = $1 AND grantee_id = $2) OR (granter_id = $2 AND grantee_id = $1)", tx).Arg(a).Arg(b);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static Friendship Map(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetGuid(1), FriendshipStatusText.FromDb(r.GetString(2)), r.GetTime(3), r.GetTime(4));
}
