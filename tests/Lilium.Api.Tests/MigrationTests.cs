using Lilium.Data;
using Lilium.Data.Migrations;
using Lilium.Testing;
using Npgsql;

namespace Lilium.Api.Tests;

[Trait("Category", "Integration")]
public sealed class MigrationTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    private static readonly string[] Tables =
        ["users", "auth_challenges", "refresh_families", "friendships", "friend_grants", "sessions", "session_participants", "invites"];

    [Fact]
    public async Task Migrates_an_empty_database_and_a_second_run_does_nothing()
    {
        await using var db = LiliumDatabase.CreateDataSource(await postgres.CreateDatabaseAsync("mig"));
        var migrator = new Migrator(db);
        Assert.Empty(await migrator.AppliedVersionsAsync());

        var applied = await migrator.MigrateAsync();

        Assert.Equal(Migrator.All.Select(m => m.Version), applied);
        Assert.Equal(Migrator.All.Select(m => m.Version).ToHashSet(), await migrator.AppliedVersionsAsync());
        foreach (var table in Tables)
        {
            await using var cmd = db.CreateCommand("SELECT to_regclass($1) IS NOT NULL");
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = table });
            Assert.True((bool)(await cmd.ExecuteScalarAsync())!, table);
        }

        Assert.Empty(await migrator.MigrateAsync());
    }

    [Fact]
    public async Task Concurrent_migrators_apply_each_migration_once()
    {
        await using var db = LiliumDatabase.CreateDataSource(await postgres.CreateDatabaseAsync("migc"));
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => new Migrator(db).MigrateAsync())));

        Assert.Single(runs, r => r.Count > 0);
        Assert.Equal(Migrator.All.Count, runs.Sum(r => r.Count));
        await using var count = db.CreateCommand("SELECT count(*) FROM schema_migrations");
        Assert.Equal((long)Migrator.All.Count, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task The_migrate_command_applies_migrations_from_DATABASE_URL_and_exits()
    {
        var connectionString = await postgres.CreateDatabaseAsync("migcli");
        var dll = Path.Combine(AppContext.BaseDirectory, "Lilium.Api.dll");
        var env = new Dictionary<string, string?> { ["DATABASE_URL"] = PostgresFixture.ToUrl(connectionString), ["DB_SECRET_ARN"] = null, ["DB_HOST"] = null };

        var first = (await ProcessRunner.RunAsync("dotnet", [dll, "migrate"], TimeSpan.FromMinutes(2), environment: env)).EnsureSuccess("migrate");
        var second = (await ProcessRunner.RunAsync("dotnet", [dll, "migrate"], TimeSpan.FromMinutes(2), environment: env)).EnsureSuccess("migrate again");

        Assert.Contains("applied 0001", first.StdOut);
        Assert.Contains("up to date", second.StdOut);
    }
}
