using Npgsql;

namespace Lilium.Data;

/// <summary>Classifies Npgsql failures, so every caller maps them the same way.</summary>
public static class PostgresErrors
{
    /// <summary>
    /// True when the database could not be reached or is going away (connection refused or reset,
    /// timeouts, pool exhaustion, SQLSTATE classes 08 connection, 53 resources, 57 operator
    /// intervention): the request may succeed later, so the API answers 503 with Retry-After.
    /// </summary>
    public static bool IsUnavailable(Exception e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal)
            || p.SqlState.StartsWith("53", StringComparison.Ordinal)
            || p.SqlState.StartsWith("57", StringComparison.Ordinal),
        NpgsqlException => true,
        TimeoutException => true,
        System.Net.Sockets.SocketException => true,
        _ => e.InnerException is { } inner && IsUnavailable(inner),
    };

    internal static bool IsUniqueViolation(Exception e) => e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    internal static bool IsForeignKeyViolation(Exception e) => e is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation };
}
