using Npgsql;

namespace Lilium.Data.Auth;

/// <summary>Refresh-token families (one per login) with rotation and reuse detection.</summary>
public sealed class RefreshFamilyRepository(NpgsqlDataSource dataSource)
{
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromDays(30);

    public async Task CreateAsync(Guid familyId, Guid userId, string tokenId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            INSERT INTO refresh_families (id, user_id, current_token_id, created_at, rotated_at) VALUES ($1, $2, $3, $4, $4)
            """).Arg(familyId).Arg(userId).Arg(tokenId).Arg(now);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Replaces the family's current token id with <paramref name="newTokenId"/> if <paramref name="presentedTokenId"/> is current.</summary>
    public async Task<RefreshRotation> RotateAsync(
        Guid familyId, Guid userId, string presentedTokenId, string newTokenId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var rotate = conn.Command("""
            UPDATE refresh_families SET current_token_id = $4, rotated_at = $5
            WHERE id = $1 AND user_id = $2 AND current_token_id = $3 AND revoked_at IS NULL
            """).Arg(familyId).Arg(userId).Arg(presentedTokenId).Arg(newTokenId).Arg(now))
        {
            if (await rotate.ExecuteNonQueryAsync(cancellationToken) == 1)
            {
                return RefreshRotation.Rotated;
            }
        }

        await using var revoke = conn.Command("""
            WITH revoked AS (
                UPDATE refresh_families SET revoked_at = $3, revoke_reason = 'reuse'
                WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
                RETURNING user_id)
            INSERT INTO revocations (kind, user_id, created_at) SELECT 'user-revoked', user_id, $3 FROM revoked
            """).Arg(familyId).Arg(userId).Arg(now);
        return await revoke.ExecuteNonQueryAsync(cancellationToken) == 1 ? RefreshRotation.ReuseDetected : RefreshRotation.Revoked;
    }

    /// <summary>Revokes a family (logout); false if it was unknown or already revoked.</summary>
    public async Task<bool> RevokeAsync(Guid familyId, Guid userId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        // A revoked login drops the user's media at the relays too (the revocations feed).
        await using var cmd = dataSource.CreateCommand("""
            WITH revoked AS (
                UPDATE refresh_families SET revoked_at = $3, revoke_reason = 'logout'
                WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
                RETURNING user_id)
            INSERT INTO revocations (kind, user_id, created_at) SELECT 'user-revoked', user_id, $3 FROM revoked
            """).Arg(familyId).Arg(userId).Arg(now);
        return await cmd.ExecuteNonQueryAsync(cancellationToken) == 1;
    }
}
