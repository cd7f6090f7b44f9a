using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Lilium.Fleet;
using Lilium.Signaling.Connections;
using Lilium.Testing;

namespace Lilium.Signaling.Tests;

/// <summary>
/// ConnectionStore writes a connection's two items in one TransactWriteItems and relies on all-or-nothing. The local
/// endpoint's transactions are scripts/moto_local.py's (it snapshots the items a transaction names instead of moto's
/// whole-table copies, docs/signaling.md): a cancelled transaction must leave no trace, a committed one all of it.
/// </summary>
[Collection(nameof(SignalingCollection))]
[Trait("Category", "Integration")]
public sealed class EndpointTransactionTests(AwsEndpointFixture aws) : IAsyncLifetime
{
    private readonly string _table = "tx-" + Guid.NewGuid().ToString("N")[..8];
    private IAmazonDynamoDB _dynamo = null!;

    public async Task InitializeAsync()
    {
        _dynamo = DynamoDbClients.Create(aws.Endpoint.ToString(), new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey), AwsEndpointFixture.Region);
        // The connections table's own schema.
        await new ConnectionStore(_dynamo, _table, TimeProvider.System).EnsureTableAsync(default);
        await _dynamo.PutItemAsync(_table, new() { ["pk"] = S("U#alice"), ["sk"] = S("count"), ["n"] = new AttributeValue { N = "1" } });
    }

    public async Task DisposeAsync()
    {
        await _dynamo.DeleteTableAsync(_table);
        _dynamo.Dispose();
    }

    [Fact]
    public async Task A_cancelled_transaction_undoes_the_writes_before_the_failed_condition()
    {
        var e = await Assert.ThrowsAsync<TransactionCanceledException>(() => _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Put = new Put { TableName = _table, Item = new() { ["pk"] = S("C#c1"), ["sk"] = S("#") } } },
                IncrementAlicesCount(),
                new() { ConditionCheck = new ConditionCheck { TableName = _table, Key = new() { ["pk"] = S("U#bob"), ["sk"] = S("count") }, ConditionExpression = "attribute_exists(pk)" } },
            ],
        }));

        Assert.Contains(e.CancellationReasons, r => r.Code == "ConditionalCheckFailed");
        Assert.Equal(["U#alice/count/1"], await ItemsAsync());
    }

    [Fact]
    public async Task A_transaction_refused_for_naming_an_item_twice_leaves_no_trace()
    {
        var e = await Assert.ThrowsAnyAsync<AmazonDynamoDBException>(() => _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Put = new Put { TableName = _table, Item = new() { ["pk"] = S("C#c3"), ["sk"] = S("#") } } },
                new() { Put = new Put { TableName = _table, Item = new() { ["pk"] = S("U#alice"), ["sk"] = S("count"), ["n"] = new AttributeValue { N = "9" } } } },
                new() { Delete = new Delete { TableName = _table, Key = new() { ["pk"] = S("U#alice"), ["sk"] = S("count") } } },
            ],
        }));

        Assert.Equal(400, (int)e.StatusCode);
        Assert.Equal(["U#alice/count/1"], await ItemsAsync());
    }

    [Fact]
    public async Task A_committed_transaction_writes_every_item()
    {
        await _dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest
        {
            TransactItems =
            [
                new() { Put = new Put { TableName = _table, Item = new() { ["pk"] = S("C#c2"), ["sk"] = S("#") } } },
                IncrementAlicesCount(),
            ],
        });

        Assert.Equal(["C#c2/#/", "U#alice/count/2"], await ItemsAsync());
    }

    private async Task<List<string>> ItemsAsync()
    {
        var scan = await _dynamo.ScanAsync(new ScanRequest { TableName = _table, ConsistentRead = true });
        return [.. scan.Items.Select(i => $"{i["pk"].S}/{i["sk"].S}/{(i.TryGetValue("n", out var n) ? n.N : "")}").Order(StringComparer.Ordinal)];
    }

    private TransactWriteItem IncrementAlicesCount() => new()
    {
        Update = new Update
        {
            TableName = _table,
            Key = new() { ["pk"] = S("U#alice"), ["sk"] = S("count") },
            UpdateExpression = "SET n = n + :one",
            ExpressionAttributeValues = new() { [":one"] = new AttributeValue { N = "1" } },
        },
    };

    private static AttributeValue S(string value) => new() { S = value };
}
