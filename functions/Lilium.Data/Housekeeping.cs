using Lilium.Data.Auth;

namespace Lilium.Data;

/// <summary>What one sweep deleted.</summary>
public sealed record SweepCounts(int Challenges, int Invites, int RefreshFamilies);

/// <summary>
/// Deletes rows nobody can use any more: expired login challenges, invites that expired or whose session ended, and
/// refresh families that were revoked or whose newest token has expired, and revocations older than any relay grant. Run by the sweeper (docs/security.md).
/// </summary>
public sealed class Housekeeping(Npgsql.NpgsqlDataSource dataSource)
{
    public async Task<SweepCounts> SweepAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var challenges = dataSource.CreateCommand("DELETE FROM auth_challenges WHERE expires_at < $1").Arg(now);
        var c = await challenges.ExecuteNonQueryAsync(cancellationToken);
        await using var invites = dataSource.CreateCommand("""
            DELETE FROM invites i WHERE i.expires_at < $1 OR EXISTS (SELECT 1 FROM sessions s WHERE s.id = i.session_id AND s.state = 'ended')
            """).Arg(now);
        var i = await invites.ExecuteNonQueryAsync(cancellationToken);
        await using var families = dataSource.CreateCommand("DELETE FROM refresh_families WHERE revoked_at IS NOT NULL OR rotated_at < $1")
            .Arg(now - RefreshFamilyRepository.TokenLifetime);
        var f = await families.ExecuteNonQueryAsync(cancellationToken);
        await using var revocations = dataSource.CreateCommand("DELETE FROM revocations WHERE created_at < $1").Arg(now - Revocations.RevocationRepository.Retention);
        await revocations.ExecuteNonQueryAsync(cancellationToken);
        return new SweepCounts(c, i, f);
    }
}
