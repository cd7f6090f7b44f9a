using Lilium.Auth;
using Npgsql;
using Lilium.Protocol;

namespace Lilium.Data.Friends;

/// <summary>What a host (granter) lets a friend (grantee) do: <see cref="InputPermissions"/> as four booleans.</summary>
public sealed class FriendGrantRepository(NpgsqlDataSource dataSource)
{
    /// <summary>The grant, or <see cref="InputPermissions.None"/> when none was set.</summary>
    public async Task<InputPermissions> GetAsync(Guid granter, Guid grantee, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("SELECT keyboard, mouse, controller, immersion FROM friend_grants WHERE granter_id = $1 AND grantee_id = $2")
            .Arg(granter).Arg(grantee);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, 0) : InputPermissions.None;
    }

    /// <summary>Sets the grant; false (nothing written) unless the two are accepted friends.</summary>
    public async Task<bool> SetAsync(Guid granter, Guid grantee, InputPermissions permissions, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // The change reaches the media relays through the revocations feed (a downgrade must take effect on live peers).
        await using var cmd = dataSource.CreateCommand("""
            WITH granted AS (
                INSERT INTO friend_grants (granter_id, grantee_id, keyboard, mouse, controller, immersion, updated_at)
                SELECT $1, $2, $3, $4, $5, $6, $7
                WHERE EXISTS (SELECT 1 FROM friendships
                              WHERE ((requester_id = $1 AND addressee_id = $2) OR (requester_id = $2 AND addressee_id = $1))
                                AND status = 'accepted')
                ON CONFLICT (granter_id, grantee_id) DO UPDATE
                SET keyboard = EXCLUDED.keyboard, mouse = EXCLUDED.mouse, controller = EXCLUDED.controller,
                    immersion = EXCLUDED.immersion, updated_at = EXCLUDED.updated_at
                RETURNING granter_id, grantee_id)
            INSERT INTO revocations (kind, host_id, user_id, permissions, created_at) SELECT 'permissions', granter_id, grantee_id, $8, $7 FROM granted
            """)
            .Arg(granter).Arg(grantee)
            .Arg(permissions.HasFlag(InputPermissions.Keyboard)).Arg(permissions.HasFlag(InputPermissions.Mouse))
            .Arg(permissions.HasFlag(InputPermissions.Controller)).Arg(permissions.HasFlag(InputPermissions.Immersion))
            .Arg(now).Arg((int)permissions);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    internal static InputPermissions Read(NpgsqlDataReader r, int first) =>
        (r.GetBoolean(first) ? InputPermissions.Keyboard : 0)
        | (r.GetBoolean(first + 1) ? InputPermissions.Mouse : 0)
        | (r.GetBoolean(first + 2) ? InputPermissions.Controller : 0)
        | (r.GetBoolean(first + 3) ? InputPermissions.Immersion : 0);
}
