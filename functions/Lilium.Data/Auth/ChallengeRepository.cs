using Npgsql;

namespace Lilium.Data.Auth;

public sealed class ChallengeRepository(NpgsqlDataSource dataSource)
{
    /// <summary>Stores a challenge, and sweeps challenges that expired more than a minute ago.</summary>
    public async Task CreateAsync(AuthChallenge challenge, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            WITH swept AS (DELETE FROM auth_challenges WHERE expires_at < $5)
            INSERT INTO auth_challenges (id, user_id, nonce, expires_at) VALUES ($1, $2, $3, $4)
            """).Arg(challenge.Id).Arg(challenge.UserId).Arg(challenge.Nonce).Arg(challenge.ExpiresAt).Arg(now - TimeSpan.FromMinutes(1));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Deletes and returns the challenge: whatever happens next, it can never be answered twice.</summary>
    public async Task<AuthChallenge?> ConsumeAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("DELETE FROM auth_challenges WHERE id = $1 RETURNING id, user_id, nonce, expires_at").Arg(id);
        return await cmd.ReadFirstAsync(r => new AuthChallenge(r.GetGuid(0), r.GetGuid(1), r.GetFieldValue<byte[]>(2), r.GetTime(3)), cancellationToken);
    }
}
