using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Lilium.Testing;

namespace Lilium.Fleet.Tests;

/// <summary>The registry against the :4566 endpoint's DynamoDB, a fresh table per class.</summary>
[Trait("Category", "Integration")]
public sealed class RelayRegistryTests(AwsEndpointFixture aws) : IClassFixture<AwsEndpointFixture>, IAsyncLifetime
{
    private readonly ManualTimeProvider _time = new(DateTimeOffset.UtcNow);
    private Amazon.DynamoDBv2.IAmazonDynamoDB _dynamo = null!;
    private RelayRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _dynamo = DynamoDbClients.Create(aws.Endpoint.ToString(), new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey), AwsEndpointFixture.Region);
        _registry = new RelayRegistry(_dynamo, "connections-" + Guid.NewGuid().ToString("N")[..12], _time);
        await _registry.EnsureTableAsync();
    }

    public async Task DisposeAsync()
    {
        await _dynamo.DeleteTableAsync(_registry.TableName);
        _dynamo.Dispose();
    }

    private static RelayRecord Relay(string id, int load = 0, int sessions = 0, bool draining = false, string? arn = null) =>
        new(id, $"http://127.0.0.1:{9000 + id.Length}/", "127.0.0.1:7882", 100, load, sessions, draining, 0, arn);

    [Fact]
    public async Task A_heartbeat_round_trips_every_attribute_stamped_with_now()
    {
        var written = await _registry.HeartbeatAsync(Relay("task-1", load: 7, sessions: 2, arn: "arn:aws:ecs:us-east-1:000000000000:task/c/task-1"));
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), written.HeartbeatMs);
        Assert.Equal(written, await _registry.GetAsync("task-1"));

        // The raw item: the contract's names, and the TTL one minute after the heartbeat.
        var item = (await _dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = _registry.TableName,
            Key = new() { ["pk"] = new AttributeValue { S = "R#relays" }, ["sk"] = new AttributeValue { S = "task-1" } },
            ConsistentRead = true,
        })).Item;
        Assert.Equal((_time.GetUtcNow().ToUnixTimeSeconds() + 60).ToString(System.Globalization.CultureInfo.InvariantCulture), item["expires"].N);
        Assert.Equal("7", item["load"].N);
        Assert.False(item["draining"].BOOL);
        Assert.Equal("127.0.0.1:7882", item["mediaAddress"].S);
    }

    [Fact]
    public async Task Liveness_follows_the_clock_and_draining()
    {
        await _registry.HeartbeatAsync(Relay("a"));
        _time.Advance(TimeSpan.FromSeconds(2));
        await _registry.HeartbeatAsync(Relay("b", load: 3));
        await _registry.HeartbeatAsync(Relay("c", draining: true));

        Assert.Equal(["a", "b", "c"], (await _registry.ListAsync()).Select(r => r.RelayId));
        Assert.Equal(["a", "b"], (await _registry.ListLiveAsync()).Select(r => r.RelayId));
        Assert.Equal("a", Placement.Choose(await _registry.ListAsync(), _registry.Now)!.RelayId);

        _time.Advance(TimeSpan.FromMilliseconds(1500)); // a: 3.5 s old, b: 1.5 s
        Assert.Equal(["b"], (await _registry.ListLiveAsync()).Select(r => r.RelayId));
        Assert.False(_registry.IsLive((await _registry.GetAsync("a"))!));
        Assert.Equal("b", Placement.Choose(await _registry.ListAsync(), _registry.Now)!.RelayId);

        // Its next heartbeat brings a back.
        await _registry.HeartbeatAsync(Relay("a", load: 50));
        Assert.Equal(["a", "b"], (await _registry.ListLiveAsync()).Select(r => r.RelayId));
    }

    [Fact]
    public async Task Remove_deletes_the_item_and_is_idempotent()
    {
        await _registry.HeartbeatAsync(Relay("gone"));
        await _registry.HeartbeatAsync(Relay("kept"));
        await _registry.RemoveAsync("gone");
        await _registry.RemoveAsync("gone");
        Assert.Null(await _registry.GetAsync("gone"));
        Assert.Equal(["kept"], (await _registry.ListAsync()).Select(r => r.RelayId));
        Assert.Null(await _registry.GetAsync("never-was"));
    }

    [Fact]
    public async Task Other_items_in_the_table_and_malformed_relay_items_are_not_relays()
    {
        await _registry.HeartbeatAsync(Relay("ok"));
        // A connection item (signaling's) and a relay item missing attributes, written by something else.
        await _dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = _registry.TableName,
            Item = new() { ["pk"] = new AttributeValue { S = "C#abc" }, ["sk"] = new AttributeValue { S = "#" }, ["user"] = new AttributeValue { S = "u" } },
        });
        await _dynamo.PutItemAsync(new PutItemRequest
        {
            TableName = _registry.TableName,
            Item = new()
            {
                ["pk"] = new AttributeValue { S = "R#relays" },
                ["sk"] = new AttributeValue { S = "broken" },
                ["relayId"] = new AttributeValue { S = "broken" },
                ["load"] = new AttributeValue { N = "-3" },
            },
        });
        Assert.Equal(["ok"], (await _registry.ListAsync()).Select(r => r.RelayId));
        Assert.Null(await _registry.GetAsync("broken"));
    }

    [Fact]
    public async Task A_fleet_larger_than_one_page_is_listed_whole()
    {
        // 1 MB pages: 40 items of ~30 KB each force at least two pages.
        var padding = new string('x', 30_000);
        for (var i = 0; i < 40; i++)
        {
            await _registry.HeartbeatAsync(Relay($"r{i:D2}", arn: padding));
        }

        Assert.Equal(40, (await _registry.ListAsync()).Count);
    }
}
