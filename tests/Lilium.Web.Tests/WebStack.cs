using Microsoft.Extensions.DependencyInjection;
using System.Globalization;
using Lilium.Auth;
using Lilium.Testing;
using Lilium.Testing.Stack;

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
    private StackDatabase? _database;
    private StackRelay? _relay;
    private StackSignaling? _signaling;
    private StackApi? _api;

    /// <summary>The app's origin (the API), e.g. http://127.0.0.1:41234/.</summary>
    public Uri AppUrl { get; private set; } = null!;

    /// <summary>The gateway's own WebSocket URL, for SDK clients (the browser goes through AppUrl/ws).</summary>
    public Uri WebSocketUrl { get; private set; } = null!;

    public Uri RelayUrl { get; private set; } = null!;

    /// <summary>
    /// The relay's view of each viewer's video (simulcast layer, target, trial, estimate) and its trial counters, one line,
    /// read in process — for a failure message about which layer a viewer got.
    /// </summary>
    public string DescribeRelayViewers()
    {
        if (_relay is null)
        {
            return "no relay";
        }

        var services = _relay.Services;
        var metrics = services.GetRequiredService<Lilium.Relay.Observability.RelayMetrics>();
        var viewers = services.GetRequiredService<Lilium.Relay.Sessions.SessionRegistry>().Peers
            .Where(p => p.Role == Lilium.Relay.Sessions.PeerRole.Subscriber)
            .Select(p => p.TrackFor("video") is { } t
                ? string.Create(CultureInfo.InvariantCulture,
                    $"viewer {p.Id.ToString()[..8]}: layer {t.CurrentLayer}, target {t.Layers.Target}, trial {t.Layers.Trial} at {t.Layers.TrialBps / 1e6:F2} Mbit/s, failed {t.Layers.FailedTrials}, estimate {Lilium.Relay.Media.SimulcastLayers.EstimateBps(p) / 1e6:F2} Mbit/s, queue {(p.Estimate?.Estimator.QueuingDelayMicros ?? 0) / 1000} ms")
                : $"viewer {p.Id.ToString()[..8]}: no video");
        return string.Create(CultureInfo.InvariantCulture,
            $"{string.Join("; ", viewers)}; trial padding {metrics.TrialPaddingPackets}, trials stopped by queue {metrics.TrialsStoppedByQueue}, switches {metrics.SimulcastSwitches}");
    }

    public async Task InitializeAsync()
    {
        await WebAppBuild.EnsureBuiltAsync();
        var keys = TokenKeys.Generate();
        _database = await StackDatabase.CreateAsync(postgres, "web");
        var apiPort = Ports.FreeTcp();
        AppUrl = new Uri($"http://127.0.0.1:{apiPort}/");
        _relay = await StackRelay.StartAsync(keys, AppUrl, allowedOrigin: AppUrl.GetLeftPart(UriPartial.Authority));
        RelayUrl = _relay.Url;
        var connections = await StackConnections.CreateAsync(aws, "web");
        _signaling = await StackSignaling.StartAsync(keys, _database, connections, RelayUrl);
        WebSocketUrl = _signaling.WebSocketUrl;
        _api = await StackApi.StartAsync(apiPort, _database, keys, new Dictionary<string, string?>
        {
            ["WEB_ROOT"] = WebAppBuild.Dist,
            ["WEB_PROXY_SIGNALING"] = WebSocketUrl.ToString(),
            ["WEB_PROXY_RELAY"] = RelayUrl.ToString(),
        });

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
