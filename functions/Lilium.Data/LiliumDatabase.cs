using Npgsql;

namespace Lilium.Data;

/// <summary>Builds the process's one <see cref="NpgsqlDataSource"/> (the connection pool) from a connection string.</summary>
public static class LiliumDatabase
{
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        // The slim builder keeps the trimmed Lambda small; TLS is the one extra we need (RDS).
        var builder = new NpgsqlSlimDataSourceBuilder(connectionString);
        builder.EnableTransportSecurity();

        // The schema uses built-in types only, so the catalogue query Npgsql runs on a data source's first
        // connection (pg_type, ranges, enums, composites) is not needed; it was most of a cold start's first query.
        builder.ConfigureTypeLoading(t => t.EnableTypeLoading(false));
        return builder.Build();
    }
}
