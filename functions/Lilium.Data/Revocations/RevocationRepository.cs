using Lilium.Auth;
using Lilium.Protocol;
using Npgsql;

namespace Lilium.Data.Revocations;

/// <summary>Reads the revocations feed the media relays poll (rows are written by the acts themselves, in their transactions).</summary>
public sealed class RevocationRepository(NpgsqlDataSource dataSource)
{
    /// <summary>The most rows one poll returns; a relay that gets this many asks again at once from the last one's time.</summary>
    public const int PageSize = 500;

    /// <summary>How long rows are kept: longer than any relay grant lives, so a revoked grant is refused until it expires.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);

    /// <summary>Rows created at or after <paramref name="since"/>, oldest first.</summary>
    public async Task<IReadOnlyList<Revocation>> SinceAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand("""
            SELECT seq, kind, session_id, host_id, user_id, permissions, created_at FROM revocations
            WHERE created_at >= $1 ORDER BY created_at, seq LIMIT $2
            """).Arg(since).Arg(PageSize);
        return await cmd.ReadAllAsync(
            r => new Revocation(
                r.GetInt64(0), r.GetString(1),
                r.IsDBNull(2) ? null : r.GetGuid(2), r.IsDBNull(3) ? null : r.GetGuid(3), r.IsDBNull(4) ? null : r.GetGuid(4),
                r.IsDBNull(5) ? null : (InputPermissions)r.GetInt32(5), r.GetTime(6)),
            cancellationToken);
    }
}
