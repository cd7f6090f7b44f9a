using Npgsql;

namespace Lilium.Data;

/// <summary>Positional, typed parameters (<c>$1</c>, <c>$2</c>, …): values never touch the SQL text.</summary>
internal static class NpgsqlExtensions
{
    public static NpgsqlCommand Arg<T>(this NpgsqlCommand cmd, T value)
    {
        cmd.Parameters.Add(new NpgsqlParameter<T> { TypedValue = value });
        return cmd;
    }

    public static NpgsqlCommand Command(this NpgsqlConnection conn, string sql, NpgsqlTransaction? tx = null) => new(sql, conn, tx);

    public static DateTimeOffset GetTime(this NpgsqlDataReader reader, int ordinal) =>
        new(reader.GetDateTime(ordinal), TimeSpan.Zero);

    public static DateTimeOffset? GetTimeOrNull(this NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : new DateTimeOffset(reader.GetDateTime(ordinal), TimeSpan.Zero);

    public static async Task<List<T>> ReadAllAsync<T>(this NpgsqlCommand cmd, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(map(reader));
        }

        return list;
    }

    public static async Task<T?> ReadFirstAsync<T>(this NpgsqlCommand cmd, Func<NpgsqlDataReader, T> map, CancellationToken cancellationToken)
        where T : class
    {
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? map(reader) : null;
    }
}
