using System.Security.Cryptography;
using Lilium.Auth;
using Npgsql;

namespace Lilium.Testing;

/// <summary>Users made straight in the database, for tests of what comes after registration (signaling, deploys).</summary>
public static class TestUsers
{
    /// <summary>
    /// Inserts a user with a random 65-byte public key (its fingerprint as the API computes it) and issues them a
    /// 15-minute access token with <paramref name="keys"/>.
    /// </summary>
    public static async Task<(Guid Id, string Token)> InsertAsync(NpgsqlDataSource data, TokenKeys keys, string nickname)
    {
        var id = Guid.CreateVersion7();
        var key = RandomNumberGenerator.GetBytes(65);
        await using var cmd = data.CreateCommand("INSERT INTO users (id, public_key, key_fingerprint, nickname, created_at) VALUES ($1, $2, $3, $4, now())");
        cmd.Parameters.Add(new() { Value = id });
        cmd.Parameters.Add(new() { Value = key });
        cmd.Parameters.Add(new() { Value = Convert.ToHexStringLower(SHA256.HashData(key)) });
        cmd.Parameters.Add(new() { Value = nickname });
        await cmd.ExecuteNonQueryAsync();
        var now = DateTimeOffset.UtcNow;
        return (id, keys.AccessCodec().Issue(new AccessClaims { Subject = id, Nickname = nickname, IssuedAt = now.ToUnixTimeSeconds(), ExpiresAt = now.AddMinutes(15).ToUnixTimeSeconds() }));
    }
}
