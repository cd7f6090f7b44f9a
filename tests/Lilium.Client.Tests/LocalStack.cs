using Amazon.Runtime;
using Lilium.Api;
using Lilium.Auth;
using Lilium.Data;
using Lilium.Data.Migrations;
using Lilium.Fleet;
using Lilium.LocalGateway;
using Lilium.Relay;
using Lilium.Signaling;
using Lilium.Signaling.Connections;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Npgsql;

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
    private WebApplication? _api;
    private WebApplication? _relay;
    private LocalGatewayHost? _gateway;
    private NpgsqlDataSource? _data;

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

        await postgres.InitializeAsync();
        await aws.InitializeAsync();
        var keys = TokenKeys.Generate();
        var connectionString = await postgres.CreateDatabaseAsync("e2e");
        _data = LiliumDatabase.CreateDataSource(connectionString);
        await new Migrator(_data).MigrateAsync();

        var relayHttp = Ports.FreeTcp();
        var apiPort = Ports.FreeTcp();
        // The relay holds the relay key alone, and polls the API's revocations feed (kick, block, end, logout).
        _relay = await RelayApp.CreateAsync(
            ["--urls", $"http://127.0.0.1:{relayHttp}", "--RELAY_KEY", keys.RelayKey, "--RELAY_CONTROL_PLANE_URL", $"http://127.0.0.1:{apiPort}/",
                "--Logging:LogLevel:Default", "Warning"],
            o =>
            {
                o.MediaPort = Ports.FreeUdp();
                o.BindAddress = "127.0.0.1";
                o.PublicIp = "127.0.0.1";
            });
        await _relay.StartAsync();
        RelayUrl = new Uri($"http://127.0.0.1:{relayHttp}/");

        _api = await ApiApp.BuildAsync(["--environment", "Production"], b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DATABASE_URL"] = PostgresFixture.ToUrl(connectionString),
                ["TOKEN_KEYS"] = keys.ToJson(),
                ["RATE_LIMIT_AUTH_PER_IP"] = "100000",
                ["RATE_LIMIT_AUTH_PER_USER"] = "100000",
                ["urls"] = $"http://127.0.0.1:{apiPort}",
            });
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await _api.StartAsync();
        ApiUrl = new Uri($"http://127.0.0.1:{apiPort}/");

        var dynamo = DynamoDbClients.Create(
            aws.Endpoint.ToString(),
            new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey),
            AwsEndpointFixture.Region);
        var store = new ConnectionStore(dynamo, "e2e-" + Guid.NewGuid().ToString("N")[..12], TimeProvider.System);
        await store.EnsureTableAsync(default);
        var registry = new ConnectionRegistry();
        var handler = SignalingHandler.Create(keys, _data, store, registry, SignalingOptions.SingleInstance with { RelayUrl = RelayUrl }, TimeProvider.System);
        _gateway = new LocalGatewayHost(new GatewayOptions { Port = Ports.FreeTcp() }, registry, handler.HandleAsync);
        await _gateway.StartAsync();
        WebSocketUrl = _gateway.WebSocketUri;
    }

    /// <summary>Stops the relay (for the relay-down test); the rest keeps running.</summary>
    public async Task StopRelayAsync()
    {
        if (_relay is not null)
        {
            await _relay.StopAsync();
            await _relay.DisposeAsync();
            _relay = null;
        }
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        foreach (var app in new[] { _api, _relay })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        if (_data is not null)
        {
            await _data.DisposeAsync();
        }
    }
}
