using System.Globalization;
using System.Reflection;
using Npgsql;

namespace Lilium.Data.Migrations;

/// <summary>
/// Applies the embedded migrations in version order. Each migration runs in its own transaction
/// together with its row in <c>schema_migrations</c>, so a failed migration leaves no trace. A
/// session-level advisory lock serializes concurrent migrators (two Lambda cold starts, a deploy
/// and a developer): the second waits, then finds nothing left to do.
/// </summary>
public sealed class Migrator(NpgsqlDataSource dataSource)
{
    /// <summary>The advisory lock key: "lilium.m" as a 64-bit integer.</summary>
    private const long LockKey = 0x6C696C69756D2E6D;

    private const string ResourcePrefix = "Lilium.Data.Migrations.";

    /// <summary>Every migration this build knows, ordered by version.</summary>
    public static IReadOnlyList<Migration> All { get; } = Load();

    /// <summary>Applies what is missing; returns the versions it applied (empty when up to date).</summary>
    public async Task<IReadOnlyList<int>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(conn, null, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(conn, null, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    integer     PRIMARY KEY,
                    name       text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);

            var applied = await AppliedAsync(conn, cancellationToken);
            var done = new List<int>();
            foreach (var m in All.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await conn.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(conn, tx, m.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", conn, tx))
                {
                    record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = m.Version });
                    record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = m.Name });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await tx.CommitAsync(cancellationToken);
                done.Add(m.Version);
            }

            return done;
        }
        finally
        {
            await ExecuteAsync(conn, null, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    /// <summary>The versions recorded in <c>schema_migrations</c> (empty if the table does not exist).</summary>
    public async Task<IReadOnlySet<int>> AppliedVersionsAsync(CancellationToken cancellationToken = default)
    {
        await using var conn = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_migrations') IS NOT NULL", conn);
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))!
            ? await AppliedAsync(conn, cancellationToken)
            : new HashSet<int>();
    }

    private static async Task<HashSet<int>> AppliedAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        var versions = new HashSet<int>();
        await using var cmd = new NpgsqlCommand("SELECT version FROM schema_migrations", conn);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task ExecuteAsync(NpgsqlConnection conn, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, conn, tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> Load()
    {
        var assembly = typeof(Migrator).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            var file = resource[ResourcePrefix.Length..^".sql".Length];
            var underscore = file.IndexOf('_');
            if (underscore <= 0 || !int.TryParse(file.AsSpan(0, underscore), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
            {
                throw new InvalidOperationException($"Migration resource '{resource}' is not named NNNN_name.sql.");
            }

            list.Add(new Migration(version, file[(underscore + 1)..], Read(assembly, resource)));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i].Version == list[i - 1].Version)
            {
                throw new InvalidOperationException($"Two migrations have version {list[i].Version}.");
            }
        }

        return list;
    }

    private static string Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
