using Lilium.Data;
using Lilium.Data.Migrations;
using Lilium.Testing;
using Npgsql;

namespace Lilium.Testing.Stack;

/// <summary>A fresh, migrated database of the project's Postgres cluster, for one in-process stack.</summary>
public sealed class StackDatabase : IAsyncDisposable
{
    private StackDatabase(string connectionString, NpgsqlDataSource data)
    {
        ConnectionString = connectionString;
        Data = data;
    }

    public string ConnectionString { get; }

    /// <summary>The same database as a URL (DATABASE_URL), as the API reads it.</summary>
    public string Url => PostgresFixture.ToUrl(ConnectionString);

    public NpgsqlDataSource Data { get; }

    /// <param name="postgres">The cluster (initialized here when it is not yet).</param>
    /// <param name="prefix">The database name's prefix, e.g. <c>e2e</c> or <c>web</c>.</param>
    public static async Task<StackDatabase> CreateAsync(PostgresFixture postgres, string prefix)
    {
        await postgres.InitializeAsync();
        var connectionString = await postgres.CreateDatabaseAsync(prefix);
        var data = LiliumDatabase.CreateDataSource(connectionString);
        await new Migrator(data).MigrateAsync();
        return new StackDatabase(connectionString, data);
    }

    public ValueTask DisposeAsync() => Data.DisposeAsync();
}
