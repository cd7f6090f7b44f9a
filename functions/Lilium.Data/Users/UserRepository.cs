using Npgsql;

namespace Lilium.Data.Users;

public sealed class UserRepository(NpgsqlDataSource dataSource)
{
    private const string Columns = "id, public_key, key_fingerprint, nickname, created_at";

    /// <summary>Registers a key, or returns the user who already holds it (<c>Created</c> false; the nickname is not changed).</summary>
    public async Task<(User User, bool Created)> RegisterAsync(UserKey key, string nickname, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using (var insert = dataSource.CreateCommand($"""
            INSERT INTO users ({Columns}) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT DO NOTHING
            RETURNING {Columns}
            """))
        {
            insert.Arg(Guid.CreateVersion7(now)).Arg(key.Spki).Arg(key.Fingerprint).Arg(nickname).Arg(now);
            if (await insert.ReadFirstAsync(Map, cancellationToken) is { } created)
            {
                return (created, true);
            }
        }

        return (await GetByFingerprintAsync(key.Fingerprint, cancellationToken)
            ?? throw new InvalidOperationException("A conflicting user row vanished during registration."), false);
    }

    /// <summary>
    /// Applies <see cref="Nickname"/>'s rules: bounds and well-formedness, then NFC (by Postgres's
    /// <c>normalize()</c>, since .NET's invariant mode does not normalize), then the rules on the NFC text.
    /// </summary>
    public async Task<(string? Nickname, string? Error)> NormalizeNicknameAsync(string? raw, CancellationToken cancellationToken = default)
    {
        if (!Nickname.IsNormalizable(raw, out var error))
        {
            return (null, error);
        }

        await using var cmd = dataSource.CreateCommand("SELECT normalize($1, NFC)").Arg(raw!);
        var nfc = (string)(await cmd.ExecuteScalarAsync(cancellationToken))!;
        var checkedText = Nickname.Check(nfc, out error);
        return (checkedText, error);
    }

    public async Task<User?> GetAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM users WHERE id = $1").Arg(id);
        return await cmd.ReadFirstAsync(Map, cancellationToken);
    }

    public async Task<User?> GetByFingerprintAsync(string fingerprint, CancellationToken cancellationToken = default)
    {
        await using var cmd = dataSource.CreateCommand($"SELECT {Columns} FROM users WHERE key_fingerprint = $1").Arg(fingerprint);
        return await cmd.ReadFirstAsync(Map, cancellationToken);
    }

    /// <summary>Users whose nickname starts with <paramref name="prefix"/>, case-insensitively; LIKE wildcards in it match literally.</summary>
    public async Task<IReadOnlyList<User>> SearchByNicknameAsync(string prefix, int limit, CancellationToken cancellationToken = default)
    {
        var pattern = prefix.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
        await using var cmd = dataSource.CreateCommand($"""
            SELECT {Columns} FROM users
            WHERE lower(nickname) LIKE lower($1) ESCAPE '\'
            ORDER BY lower(nickname), id
            LIMIT $2
            """).Arg(pattern).Arg(limit);
        return await cmd.ReadAllAsync(Map, cancellationToken);
    }

    internal static User Map(NpgsqlDataReader r) =>
        new(r.GetGuid(0), r.GetFieldValue<byte[]>(1), r.GetString(2), r.GetString(3), r.GetTime(4));
}
