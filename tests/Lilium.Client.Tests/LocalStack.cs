using Lilium.Auth;
using Lilium.Testing;
using Lilium.Testing.Stack;

namespace Lilium.Client.Tests;

[CollectionDefinition(nameof(EndToEndCollection))]
public sealed class EndToEndCollection : ICollectionFixture<PostgresFixture>, ICollectionFixture<AwsEndpointFixture>;

/// <summary>
/// The stack the SDK talks to. By default the whole local topology in this process: the REST API on
/// Kestrel over a fresh migrated database of the project's Postgres cluster, the signaling handler
/// behind the local API Gateway (DynamoDB on the :4566 endpoint), and the media relay — all sharing
/// one set of token keys. With <c>LILIUM_API_URL</c> and <c>LILIUM_WS_URL</c> set it runs against
/// that deployment instead (LocalStack or AWS; the relay URL comes from <c>join.accepted</c>).
/// </summary>
public sealed class LocalStack(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    private StackDatabase? _database;
    private StackRelay? _relay;
    private StackApi? _api;
    private StackSignaling? _signaling;

    public Uri ApiUrl { get; private set; } = null!;

    public Uri WebSocketUrl { get; private set; } = null!;

    /// <summary>The relay's HTTP base (local mode only; remote deployments announce it in join.accepted).</summary>
    public Uri? RelayUrl { get; private set; }

    public bool IsRemote { get; private set; }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("LILIUM_API_URL") is { Length: > 0 } api
            && Environment.GetEnvironmentVariable("LILIUM_WS_URL") is { Length: > 0 } ws)
        {
            IsRemote = true;
            ApiUrl = new Uri(api.EndsWith('/') ? api : api + "/");
            WebSocketUrl = new Uri(ws);
            return;
        }

        var keys = TokenKeys.Generate();
        _database = await StackDatabase.CreateAsync(postgres, "e2e");
        var apiPort = Ports.FreeTcp();
        ApiUrl = new Uri($"http://127.0.0.1:{apiPort}/");
        _relay = await StackRelay.StartAsync(keys, ApiUrl);
        RelayUrl = _relay.Url;
        _api = await StackApi.StartAsync(apiPort, _database, keys);
        var connections = await StackConnections.CreateAsync(aws, "e2e");
        _signaling = await StackSignaling.StartAsync(keys, _database, connections, RelayUrl);
        WebSocketUrl = _signaling.WebSocketUrl;
    }

    /// <summary>Stops the relay (for the relay-down test); the rest keeps running.</summary>
    public async Task StopRelayAsync()
    {
        if (_relay is not null)
        {
            await _relay.DisposeAsync();
            _relay = null;
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var part in new IAsyncDisposable?[] { _signaling, _api, _relay, _database })
        {
            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }
    }
}
