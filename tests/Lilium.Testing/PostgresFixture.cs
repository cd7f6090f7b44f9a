using Npgsql;

namespace Lilium.Testing;

/// <summary>
/// The project's private PostgreSQL cluster (scripts/pg.sh), started if it is not running.
/// Each test class asks for its own fresh database, so classes run in parallel without sharing rows.
/// Set LILIUM_TEST_DATABASE_URL (a postgres:// URL to a server where the user may create databases)
/// to use another server instead. The databases it created are dropped when it is disposed: left behind, each one
/// costs the cluster an autovacuum worker start per minute (~35 ms of CPU each; 110 leftover databases put one every
/// 0.55 s on this 2-core machine and showed up in the signaling benchmark's tail).
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private readonly List<string> _created = [];

    public string AdminConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var url = Environment.GetEnvironmentVariable("LILIUM_TEST_DATABASE_URL");
        if (string.IsNullOrEmpty(url))
        {
            var result = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "pg.sh"), "ensure"], TimeSpan.FromMinutes(2));
            url = result.EnsureSuccess("scripts/pg.sh ensure").StdOut.Trim().Split('\n')[^1];
        }

        AdminConnectionString = ToConnectionString(new Uri(url));
    }

    public async Task DisposeAsync()
    {
        string[] names;
        lock (_created)
        {
            names = [.. _created];
            _created.Clear();
        }

        if (names.Length == 0)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            await using var conn = new NpgsqlConnection(AdminConnectionString);
            await conn.OpenAsync();
            foreach (var name in names)
            {
                await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", conn);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // Clean-up only: a server stopped by the test run itself must not fail the run at teardown.
            Console.Error.WriteLine($"PostgresFixture: could not drop {names.Length} test database(s): {e.Message}");
        }
    }

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Guid.NewGuid():N}"[..Math.Min(60, prefix.Length + 33)].ToLowerInvariant();
        await using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        lock (_created)
        {
            _created.Add(name);
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>The same database as a postgres:// URL (the form DATABASE_URL takes).</summary>
    public static string ToUrl(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgres://{Uri.EscapeDataString(b.Username!)}:{Uri.EscapeDataString(b.Password!)}@{b.Host}:{b.Port}/{b.Database}";
    }

    private static string ToConnectionString(Uri url)
    {
        var userInfo = url.UserInfo.Split(':', 2);
        return new NpgsqlConnectionStringBuilder
        {
            Host = url.Host,
            Port = url.Port > 0 ? url.Port : 5432,
            Username = Uri.UnescapeDataString(userInfo[0]),
            Password = userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null,
            Database = url.AbsolutePath.Trim('/') is { Length: > 0 } db ? db : "postgres",
            Pooling = true,
        }.ConnectionString;
    }
}
