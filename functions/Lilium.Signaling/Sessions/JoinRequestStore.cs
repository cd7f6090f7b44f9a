using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Lilium.Signaling.Connections;

namespace Lilium.Signaling.Sessions;

/// <summary>
/// Pending join requests in the connections table (<c>pk = "J#{requestId}"</c>, <c>sk = "#"</c>, TTL <c>expires</c>), so
/// the host's answer may reach any Lambda instance. <see cref="TakeAsync"/> deletes with a condition (exists and
/// addressed to the caller) and returns the old item: a request is answered at most once even when devices race.
/// </summary>
public sealed class JoinRequestStore(IAmazonDynamoDB dynamo, string tableName, TimeProvider time)
{
    /// <summary>How long a host has to answer.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(2);

    public async Task<JoinRequest> CreateAsync(Guid sessionId, Guid hostId, Guid viewerId, string viewerNickname, CancellationToken cancellationToken)
    {
        var request = new JoinRequest(Guid.NewGuid().ToString("N"), sessionId, hostId, viewerId, viewerNickname, time.GetUtcNow() + Lifetime);
        await dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = tableName,
            Item = new()
            {
                [ConnectionTableSchema.PartitionKey] = S("J#" + request.RequestId),
                [ConnectionTableSchema.SortKey] = S("#"),
                ["session"] = S(sessionId.ToString()),
                ["host"] = S(hostId.ToString()),
                ["viewer"] = S(viewerId.ToString()),
                ["nick"] = S(viewerNickname),
                [ConnectionTableSchema.TimeToLive] = new AttributeValue { N = request.ExpiresAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) },
            },
        }, cancellationToken);
        return request;
    }

    /// <summary>
    /// Removes and returns the request addressed to <paramref name="hostId"/>; null when unknown, someone else's,
    /// already answered, or expired (TTL sweeps lag) — the caller cannot tell which, so ids cannot be probed.
    /// </summary>
    public async Task<JoinRequest?> TakeAsync(string requestId, Guid hostId, CancellationToken cancellationToken)
    {
        DeleteItemResponse response;
        try
        {
            response = await dynamo.DeleteItemAsync(new DeleteItemRequest
            {
                TableName = tableName,
                Key = new() { [ConnectionTableSchema.PartitionKey] = S("J#" + requestId), [ConnectionTableSchema.SortKey] = S("#") },
                ConditionExpression = "attribute_exists(pk) AND #host = :host",
                ExpressionAttributeNames = new() { ["#host"] = "host" },
                ExpressionAttributeValues = new() { [":host"] = S(hostId.ToString()) },
                ReturnValues = ReturnValue.ALL_OLD,
            }, cancellationToken);
        }
        catch (ConditionalCheckFailedException)
        {
            return null;
        }

        var item = response.Attributes;
        if (item is null
            || !Guid.TryParse(Get(item, "session"), out var session)
            || !Guid.TryParse(Get(item, "host"), out var host)
            || !Guid.TryParse(Get(item, "viewer"), out var viewer)
            || !long.TryParse(item.TryGetValue(ConnectionTableSchema.TimeToLive, out var e) ? e.N : null, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            return null;
        }

        var request = new JoinRequest(requestId, session, host, viewer, Get(item, "nick") ?? "", DateTimeOffset.FromUnixTimeSeconds(expires));
        return request.ExpiresAt > time.GetUtcNow() ? request : null;
    }

    private static string? Get(Dictionary<string, AttributeValue> item, string name) => item.TryGetValue(name, out var v) ? v.S : null;

    private static AttributeValue S(string value) => new() { S = value };
}
