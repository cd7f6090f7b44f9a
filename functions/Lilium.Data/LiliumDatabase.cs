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
        return builder.Build();
    }
}
