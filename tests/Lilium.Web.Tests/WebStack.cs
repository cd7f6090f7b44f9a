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

namespace Lilium.Web.Tests;

[CollectionDefinition(nameof(BrowserCollection))]
public sealed class BrowserCollection : ICollectionFixture<WebStack>, ICollectionFixture<Browser>;

/// <summary>
/// The whole local topology in this process, as <c>make run</c> has it but on free ports: the REST API on Kestrel
/// serving the built web app (client-sdk/web/dist) and forwarding <c>/ws</c>, <c>/whip</c>, <c>/whep</c> to the local
/// API Gateway (signaling, DynamoDB on the :4566 endpoint) and the media relay — one origin for the browser, as on
/// AWS behind CloudFront. Same shape as tests/Lilium.Client.Tests' LocalStack, plus the app.
/// </summary>
public sealed class WebStack : IAsyncLifetime
{
    private readonly PostgresFixture postgres = new();
    private readonly AwsEndpointFixture aws = new();
    private WebApplication? _api;
    private WebApplication? _relay;
    private LocalGatewayHost? _gateway;
    private NpgsqlDataSource? _data;

    /// <summary>The app's origin (the API), e.g. http://127.0.0.1:41234/.</summary>
    public Uri AppUrl { get; private set; } = null!;

    /// <summary>The gateway's own WebSocket URL, for SDK clients (the browser goes through AppUrl/ws).</summary>
    public Uri WebSocketUrl { get; private set; } = null!;

    public Uri RelayUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await WebAppBuild.EnsureBuiltAsync();
        await postgres.InitializeAsync();
        await aws.InitializeAsync();
        var keys = TokenKeys.Generate();
        var connectionString = await postgres.CreateDatabaseAsync("web");
        _data = LiliumDatabase.CreateDataSource(connectionString);
        await new Migrator(_data).MigrateAsync();

        var apiPort = Ports.FreeTcp();
        AppUrl = new Uri($"http://127.0.0.1:{apiPort}/");
        var relayHttp = Ports.FreeTcp();
        _relay = await RelayApp.CreateAsync(
            // The relay holds the relay key alone, and polls the API's revocations feed (kick, block, end, logout).
            ["--urls", $"http://127.0.0.1:{relayHttp}", "--RELAY_KEY", keys.RelayKey, "--RELAY_CONTROL_PLANE_URL", AppUrl.ToString(),
                "--Logging:LogLevel:Default", "Warning"],
            o =>
            {
                o.MediaPort = Ports.FreeUdp();
                o.BindAddress = "127.0.0.1";
                o.PublicIp = "127.0.0.1";
                o.AllowedOrigins = [AppUrl.GetLeftPart(UriPartial.Authority)];
            });
        await _relay.StartAsync();
        RelayUrl = new Uri($"http://127.0.0.1:{relayHttp}/");

        var dynamo = DynamoDbClients.Create(
            aws.Endpoint.ToString(),
            new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey),
            AwsEndpointFixture.Region);
        var store = new ConnectionStore(dynamo, "web-" + Guid.NewGuid().ToString("N")[..12], TimeProvider.System);
        await store.EnsureTableAsync(default);
        var registry = new ConnectionRegistry();
        var handler = SignalingHandler.Create(keys, _data, store, registry, SignalingOptions.SingleInstance with { RelayUrl = RelayUrl }, TimeProvider.System);
        _gateway = new LocalGatewayHost(new GatewayOptions { Port = Ports.FreeTcp() }, registry, handler.HandleAsync);
        await _gateway.StartAsync();
        WebSocketUrl = _gateway.WebSocketUri;

        _api = await ApiApp.BuildAsync(["--environment", "Production"], b =>
        {
            b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["DATABASE_URL"] = PostgresFixture.ToUrl(connectionString),
                ["TOKEN_KEYS"] = keys.ToJson(),
                ["RATE_LIMIT_AUTH_PER_IP"] = "100000",
                ["RATE_LIMIT_AUTH_PER_USER"] = "100000",
                ["WEB_ROOT"] = WebAppBuild.Dist,
                ["WEB_PROXY_SIGNALING"] = WebSocketUrl.ToString(),
                ["WEB_PROXY_RELAY"] = RelayUrl.ToString(),
                ["urls"] = AppUrl.GetLeftPart(UriPartial.Authority),
            });
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await _api.StartAsync();

        // One request each for what every page load fetches first, so the first test's page does not pay the API's
        // cold start, and a missing web root fails here with its status instead of as a browser timeout.
        using var http = new HttpClient { BaseAddress = AppUrl, Timeout = TimeSpan.FromMinutes(1) };
        foreach (var path in new[] { "/", "/config.json" })
        {
            using var response = await http.GetAsync(path);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"the web app's {path} answered {(int)response.StatusCode} at {AppUrl}");
            }
        }
    }

    /// <summary>Stops the relay (the relay-unreachable test); the rest keeps running.</summary>
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

        await postgres.DisposeAsync();
    }
}

/// <summary>Builds client-sdk/web (npm ci when node_modules is missing, then esbuild) once per test run.</summary>
public static class WebAppBuild
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _built;

    public static string Source => Path.Combine(RepoPaths.Root, "client-sdk", "web");

    public static string Dist => Path.Combine(Source, "dist");

    public static async Task EnsureBuiltAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_built)
            {
                return;
            }

            if (!Directory.Exists(Path.Combine(Source, "node_modules")))
            {
                (await ProcessRunner.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5), Source)).EnsureSuccess("npm ci (client-sdk/web)");
            }

            (await ProcessRunner.RunAsync("npm", ["run", "build"], TimeSpan.FromMinutes(2), Source)).EnsureSuccess("npm run build (client-sdk/web)");
            _built = true;
        }
        finally
        {
            Gate.Release();
        }
    }
}
