using Lilium.Testing;
using Npgsql;

namespace Lilium.Api.Tests;

/// <summary>
/// A private Postgres cluster of its own (initdb into a temp folder with the system's binaries, as
/// scripts/pg.sh does) that a test may stop and start: the shared cluster must never be stopped.
/// </summary>
internal sealed class ThrowawayPostgres : IAsyncDisposable
{
    private const string Password = "throwaway";
    private readonly string _bin;
    private readonly string _dir;

    private ThrowawayPostgres(string bin, string dir, int port)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "lilium",
        Password = Password,
        Database = "postgres",
        Timeout = 3,
    }.ConnectionString;

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            ?? throw new InvalidOperationException("No PostgreSQL server binaries under /usr/lib/postgresql.");
        var dir = Path.Combine(Path.GetTempPath(), "lilium-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        var pg = new ThrowawayPostgres(bin, dir, Ports.FreeTcp());
        var pwfile = Path.Combine(dir, "pw");
        await File.WriteAllTextAsync(pwfile, Password);
        if (IsRoot)
        {
            (await ProcessRunner.RunAsync("chown", ["-R", "postgres:postgres", dir])).EnsureSuccess("chown");
        }

        (await pg.AsPostgresAsync("initdb", "-D", Path.Combine(dir, "data"), "-U", "lilium", "--pwfile=" + pwfile, "-A", "scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"))
            .EnsureSuccess("initdb");
        await File.AppendAllTextAsync(Path.Combine(dir, "data", "postgresql.conf"), $"\nlisten_addresses = '127.0.0.1'\nport = {pg.Port}\nunix_socket_directories = '{dir}'\nmax_connections = 50\n");
        await pg.StartServerAsync();
        return pg;
    }

    public async Task StartServerAsync() =>
        (await AsPostgresAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60", "start")).EnsureSuccess("pg_ctl start");

    /// <summary>Stops like a crash (<c>-m immediate</c>): in-flight transactions are cut off.</summary>
    public async Task KillServerAsync() =>
        (await AsPostgresAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop")).EnsureSuccess("pg_ctl stop");

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        await using (var conn = new NpgsqlConnection(ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await AsPostgresAsync("pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task<ProcessResult> AsPostgresAsync(string tool, params string[] args) =>
        IsRoot
            ? ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args], TimeSpan.FromMinutes(2), workingDirectory: "/tmp")
            : ProcessRunner.RunAsync(Path.Combine(_bin, tool), args, TimeSpan.FromMinutes(2), workingDirectory: "/tmp");
}
