namespace Lilium.Signaling.Connections;

/// <summary>
/// The connections table's shape, the one definition both sides read: <see cref="ConnectionStore"/> and
/// <c>JoinRequestStore</c> write items with these names, and the CDK app (infra/Lilium.Infra compiles this file
/// in) creates the table with them, so the deployed table cannot drift from the code. Both keys are strings; the
/// TTL attribute holds Unix seconds.
/// </summary>
public static class ConnectionTableSchema
{
    /// <summary>Hash key: <c>C#{connectionId}</c>, <c>U#{userId}</c> or <c>J#{requestId}</c>.</summary>
    public const string PartitionKey = "pk";

    /// <summary>Range key: <c>#</c> for a single item, a connection id under <c>U#…</c>.</summary>
    public const string SortKey = "sk";

    /// <summary>DynamoDB TTL attribute (a number of Unix seconds).</summary>
    public const string TimeToLive = "expires";
}
