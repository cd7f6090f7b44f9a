using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace Lilium.Fleet;

/// <summary>
/// The relay tasks, one item each in the connections table (FLEET-CONTRACT §1):
/// <code>
/// pk = "R#relays"  sk = relayId   relayId, privateUrl, mediaAddress, capacity, load, sessions, draining,
///                                 heartbeatMs, expires (TTL: heartbeat + 60 s), taskArn?
/// </code>
/// One partition: a Query reads the whole fleet (tens of items) in one consistent read. Liveness is computed here
/// with the <see cref="TimeProvider"/>, so a dead task's item (until TTL takes it) is never taken for a live one.
/// </summary>
public sealed class RelayRegistry(IAmazonDynamoDB dynamo, string tableName, TimeProvider time, TimeSpan? liveWindow = null)
{
    public const string PartitionValue = "R#relays";
    private const string Pk = "pk";
    private const string Sk = "sk";
    private const string Ttl = "expires";
    private static readonly TimeSpan ItemLifetime = TimeSpan.FromSeconds(60);

    public string TableName => tableName;

    public TimeSpan LiveWindow { get; } = liveWindow ?? FleetSettings.DefaultLiveWindow;

    /// <summary>Now, by this registry's clock.</summary>
    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Live by this registry's clock and live window.</summary>
    public bool IsLive(RelayRecord record) => record.IsLive(time.GetUtcNow(), LiveWindow);

    /// <summary>Writes the relay's item, stamped now; returns the record as written.</summary>
    public async Task<RelayRecord> HeartbeatAsync(RelayRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var now = time.GetUtcNow();
        var written = record with { HeartbeatMs = now.ToUnixTimeMilliseconds() };
        var item = new Dictionary<string, AttributeValue>
        {
            [Pk] = S(PartitionValue),
            [Sk] = S(written.RelayId),
            ["relayId"] = S(written.RelayId),
            ["privateUrl"] = S(written.PrivateUrl),
            ["mediaAddress"] = S(written.MediaAddress),
            ["capacity"] = N(written.Capacity),
            ["load"] = N(written.Load),
            ["sessions"] = N(written.Sessions),
            ["draining"] = new AttributeValue { BOOL = written.Draining },
            ["heartbeatMs"] = N(written.HeartbeatMs),
            [Ttl] = N((now + ItemLifetime).ToUnixTimeSeconds()),
        };
        if (written.TaskArn is { Length: > 0 } arn)
        {
            item["taskArn"] = S(arn);
        }

        await dynamo.PutItemAsync(new PutItemRequest { TableName = tableName, Item = item }, cancellationToken);
        return written;
    }

    /// <summary>Every relay item, live or not (callers filter with <see cref="IsLive"/> or <see cref="Placement"/>), by relay id.</summary>
    public async Task<IReadOnlyList<RelayRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        var found = new List<RelayRecord>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.QueryAsync(new QueryRequest
            {
                TableName = tableName,
                KeyConditionExpression = Pk + " = :pk",
                ExpressionAttributeValues = new() { [":pk"] = S(PartitionValue) },
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            foreach (var item in page.Items ?? [])
            {
                if (TryRead(item, out var record))
                {
                    found.Add(record);
                }
            }

            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null);
        found.Sort((a, b) => string.CompareOrdinal(a.RelayId, b.RelayId));
        return found;
    }

    /// <summary>The live relays only.</summary>
    public async Task<IReadOnlyList<RelayRecord>> ListLiveAsync(CancellationToken cancellationToken = default)
    {
        var all = await ListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return [.. all.Where(r => r.IsLive(now, LiveWindow))];
    }

    /// <summary>The relay's item, live or not; null when there is none (or it does not parse).</summary>
    public async Task<RelayRecord?> GetAsync(string relayId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(relayId);
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = new() { [Pk] = S(PartitionValue), [Sk] = S(relayId) },
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item is { Count: > 0 } item && TryRead(item, out var record) ? record : null;
    }

    /// <summary>Deletes the relay's item (clean exit, or the supervisor / task-stopped event for a dead task). Idempotent.</summary>
    public async Task RemoveAsync(string relayId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(relayId);
        await dynamo.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = tableName,
            Key = new() { [Pk] = S(PartitionValue), [Sk] = S(relayId) },
        }, cancellationToken);
    }

    /// <summary>Creates the table (pk/sk strings, on-demand) when absent — local runs and tests only; the CDK app makes it on AWS.</summary>
    public Task EnsureTableAsync(CancellationToken cancellationToken = default) =>
        DynamoDbClients.EnsureTableAsync(dynamo, tableName, Pk, Sk, cancellationToken);

    /// <summary>Reads an item; false for one missing an attribute or holding a value out of range (never throws on a bad item).</summary>
    internal static bool TryRead(Dictionary<string, AttributeValue> item, out RelayRecord record)
    {
        record = null!;
        if (!TryText(item, "relayId", out var id) || !TryText(item, "privateUrl", out var url) || !TryText(item, "mediaAddress", out var media)
            || !TryLong(item, "capacity", out var capacity) || !TryLong(item, "load", out var load) || !TryLong(item, "sessions", out var sessions)
            || !TryLong(item, "heartbeatMs", out var heartbeat)
            || capacity is < 0 or > int.MaxValue || load is < 0 or > int.MaxValue || sessions is < 0 or > int.MaxValue)
        {
            return false;
        }

        var draining = item.TryGetValue("draining", out var d) && d.BOOL == true;
        var arn = item.TryGetValue("taskArn", out var a) && !string.IsNullOrEmpty(a.S) ? a.S : null;
        record = new RelayRecord(id, url, media, (int)capacity, (int)load, (int)sessions, draining, heartbeat, arn);
        return true;
    }

    private static bool TryText(Dictionary<string, AttributeValue> item, string name, out string value)
    {
        value = item.TryGetValue(name, out var v) ? v.S ?? "" : "";
        return value.Length > 0;
    }

    private static bool TryLong(Dictionary<string, AttributeValue> item, string name, out long value)
    {
        value = 0;
        return item.TryGetValue(name, out var v) && long.TryParse(v.N, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
