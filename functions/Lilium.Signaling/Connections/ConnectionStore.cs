using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lilium.Fleet;

namespace Lilium.Signaling.Connections;

/// <summary>
/// Connections in one DynamoDB table (hash key <c>pk</c>, range key <c>sk</c>, TTL attribute <c>expires</c>; names from
/// <see cref="ConnectionTableSchema"/>, which the CDK app builds the table from):
/// <code>
/// pk = "C#{connectionId}"  sk = "#"             user, nick, expires   → owner of a connection
/// pk = "U#{userId}"        sk = connectionId    expires               → a user's connections (Query)
/// </code>
/// The TTL (24 h, longer than API Gateway's 2 h connection limit) sweeps entries whose
/// <c>$disconnect</c> was lost; PostToConnection's 410 removes them earlier.
/// </summary>
public sealed class ConnectionStore(IAmazonDynamoDB dynamo, string tableName, TimeProvider time)
{
    private const string Pk = ConnectionTableSchema.PartitionKey;
    private const string Sk = ConnectionTableSchema.SortKey;
    private const string Ttl = ConnectionTableSchema.TimeToLive;
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    public string TableName => tableName;

    /// <summary>The client, for other items kept in the same table (pending join requests).</summary>
    public IAmazonDynamoDB Dynamo => dynamo;

    /// <summary>Creates the table (on-demand billing) when absent — for local runs and tests only.</summary>
    public Task EnsureTableAsync(CancellationToken cancellationToken) =>
        DynamoDbClients.EnsureTableAsync(dynamo, tableName, Pk, Sk, cancellationToken);

    /// <summary>Registers a connection unless its user already holds <paramref name="maxPerUser"/>.</summary>
    /// <returns>The user's connections before this one, or null when the limit is reached.</returns>
    public async Task<IReadOnlyList<string>?> TryAddAsync(ConnectionRecord record, int maxPerUser, CancellationToken cancellationToken)
    {
        // Check-then-write: two simultaneous connects can both pass, exceeding the limit by one. Accepted
        // (the limit protects fan-out cost, not security); a transactional counter would close the gap.
        var existing = await ListAsync(record.UserId, cancellationToken);
        if (existing.Count >= maxPerUser)
        {
            return null;
        }

        var expires = Expires();
        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Put = new Put { TableName = tableName, Item = new()
                {
                    [Pk] = S("C#" + record.ConnectionId), [Sk] = S("#"),
                    ["user"] = S(record.UserId.ToString()), ["nick"] = S(record.Nickname), [Ttl] = expires,
                    ["tiat"] = N(record.TokenIssuedAt), ["texp"] = N(record.TokenExpiresAt),
                } } },
                new TransactWriteItem { Put = new Put { TableName = tableName, Item = new()
                {
                    [Pk] = S("U#" + record.UserId), [Sk] = S(record.ConnectionId), [Ttl] = expires,
                } } },
            ],
        }, cancellationToken);
        return existing;
    }

    public async Task<ConnectionRecord?> GetAsync(string connectionId, CancellationToken cancellationToken)
    {
        var response = await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = tableName,
            Key = new() { [Pk] = S("C#" + connectionId), [Sk] = S("#") },
            ConsistentRead = true,
        }, cancellationToken);
        var item = response.Item;
        if (item is null || item.Count == 0 || !item.TryGetValue("user", out var user) || !Guid.TryParse(user.S, out var userId))
        {
            return null;
        }

        return ToRecord(connectionId, userId, item);
    }

    private static ConnectionRecord ToRecord(string connectionId, Guid userId, Dictionary<string, AttributeValue> item) =>
        new(connectionId, userId, item.TryGetValue("nick", out var nick) ? nick.S ?? "" : "", Long(item, "tiat"), Long(item, "texp"));

    private static long Long(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var v) && long.TryParse(v.N, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : 0;

    /// <summary>
    /// Connections whose access token expired before <paramref name="now"/> (a bounded scan: at most
    /// <paramref name="limit"/> per sweep; the rest go on the next).
    /// </summary>
    public async Task<IReadOnlyList<ConnectionRecord>> ExpiredAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        var found = new List<ConnectionRecord>();
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamo.ScanAsync(new ScanRequest
            {
                TableName = tableName,
                FilterExpression = "begins_with(pk, :c) AND texp > :zero AND texp < :now",
                ExpressionAttributeValues = new() { [":c"] = S("C#"), [":zero"] = N(0), [":now"] = N(now.ToUnixTimeSeconds()) },
                ExclusiveStartKey = start,
            }, cancellationToken);
            foreach (var item in page.Items ?? [])
            {
                if (item.TryGetValue("user", out var user) && Guid.TryParse(user.S, out var userId) && found.Count < limit)
                {
                    found.Add(ToRecord(item[Pk].S["C#".Length..], userId, item));
                }
            }

            start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
        }
        while (start is not null && found.Count < limit);
        return found;
    }

    public async Task<IReadOnlyList<string>> ListAsync(Guid userId, CancellationToken cancellationToken)
    {
        var response = await dynamo.QueryAsync(new QueryRequest
        {
            TableName = tableName,
            KeyConditionExpression = Pk + " = :pk",
            ExpressionAttributeValues = new() { [":pk"] = S("U#" + userId) },
            ConsistentRead = true,
        }, cancellationToken);
        return response.Items is null ? [] : [.. response.Items.Select(i => i[Sk].S)];
    }

    /// <summary>Forgets a connection; returns its owner, or null when it was unknown.</summary>
    public async Task<ConnectionRecord?> RemoveAsync(string connectionId, CancellationToken cancellationToken)
    {
        var record = await GetAsync(connectionId, cancellationToken);
        if (record is null)
        {
            return null;
        }

        await RemoveAsync(record.UserId, connectionId, cancellationToken);
        return record;
    }

    public async Task RemoveAsync(Guid userId, string connectionId, CancellationToken cancellationToken)
    {
        await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new TransactWriteItem { Delete = new Delete { TableName = tableName, Key = new() { [Pk] = S("C#" + connectionId), [Sk] = S("#") } } },
                new TransactWriteItem { Delete = new Delete { TableName = tableName, Key = new() { [Pk] = S("U#" + userId), [Sk] = S(connectionId) } } },
            ],
        }, cancellationToken);
    }

    private AttributeValue Expires() =>
        new() { N = (time.GetUtcNow() + Lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) };

    private static AttributeValue S(string value) => new() { S = value };

    private static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };
}
