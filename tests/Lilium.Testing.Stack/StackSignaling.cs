using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Data.Fleet;
using Lilium.Fleet;
using Lilium.LocalGateway;
using Lilium.Signaling;
using Lilium.Signaling.Connections;

namespace Lilium.Testing.Stack;

/// <summary>The connections table on the :4566 endpoint (a fresh one per stack), as signaling and the fleet registry use it.</summary>
public sealed class StackConnections
{
    private StackConnections(Amazon.DynamoDBv2.IAmazonDynamoDB dynamo, ConnectionStore store)
    {
        Dynamo = dynamo;
        Store = store;
    }

    public Amazon.DynamoDBv2.IAmazonDynamoDB Dynamo { get; }

    public ConnectionStore Store { get; }

    public string TableName => Store.TableName;

    /// <param name="aws">The endpoint (initialized here when it is not yet).</param>
    /// <param name="prefix">The table name's prefix, e.g. <c>e2e</c>.</param>
    public static async Task<StackConnections> CreateAsync(AwsEndpointFixture aws, string prefix)
    {
        await aws.InitializeAsync();
        var dynamo = DynamoDbClients.Create(
            aws.Endpoint.ToString(),
            new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey),
            AwsEndpointFixture.Region);
        var store = new ConnectionStore(dynamo, prefix + "-" + Guid.NewGuid().ToString("N")[..12], TimeProvider.System);
        await store.EnsureTableAsync(default);
        return new StackConnections(dynamo, store);
    }
}

/// <summary>The signaling handler behind the local API Gateway on a loopback port.</summary>
public sealed class StackSignaling : IAsyncDisposable
{
    private readonly LocalGatewayHost _gateway;

    private StackSignaling(LocalGatewayHost gateway, SignalingHandler handler)
    {
        _gateway = gateway;
        Handler = handler;
    }

    /// <summary>The gateway's WebSocket URL, for SDK clients.</summary>
    public Uri WebSocketUrl => _gateway.WebSocketUri;

    public SignalingHandler Handler { get; }

    /// <param name="relayUrl">The relay base that join.accepted announces.</param>
    /// <param name="fleet">The fleet's control plane, when the stack places sessions on a relay fleet.</param>
    public static async Task<StackSignaling> StartAsync(
        TokenKeys keys, StackDatabase database, StackConnections connections, Uri relayUrl, FleetControl? fleet = null)
    {
        var registry = new ConnectionRegistry();
        var handler = SignalingHandler.Create(
            keys, database.Data, connections.Store, registry, SignalingOptions.SingleInstance with { RelayUrl = relayUrl }, TimeProvider.System, fleet);
        var gateway = new LocalGatewayHost(new GatewayOptions { Port = Ports.FreeTcp() }, registry, handler.HandleAsync);
        await gateway.StartAsync();
        return new StackSignaling(gateway, handler);
    }

    public ValueTask DisposeAsync() => _gateway.DisposeAsync();
}
