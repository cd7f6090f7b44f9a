using Lilium.Api;
using Lilium.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Lilium.Testing.Stack;

/// <summary>The REST API on Kestrel at a loopback port, over a <see cref="StackDatabase"/>, with auth rate limits lifted for tests.</summary>
public sealed class StackApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StackApi(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The API's base, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Url { get; }

    /// <param name="port">The port (chosen first when the relay or the gateway must know the API's URL before it starts).</param>
    /// <param name="settings">More configuration (e.g. WEB_ROOT and the proxy targets).</param>
    /// <param name="configure">More services (e.g. the fleet's control plane).</param>
    public static async Task<StackApi> StartAsync(
        int port, StackDatabase database, TokenKeys keys, IReadOnlyDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var url = new Uri($"http://127.0.0.1:{port}/");
        var app = await ApiApp.BuildAsync(["--environment", "Production"], b =>
        {
            var config = new Dictionary<string, string?>
            {
                ["DATABASE_URL"] = database.Url,
                ["TOKEN_KEYS"] = keys.ToJson(),
                ["RATE_LIMIT_AUTH_PER_IP"] = "100000",
                ["RATE_LIMIT_AUTH_PER_USER"] = "100000",
                ["urls"] = url.GetLeftPart(UriPartial.Authority),
            };
            foreach (var (name, value) in settings ?? new Dictionary<string, string?>())
            {
                config[name] = value;
            }

            b.Configuration.AddInMemoryCollection(config);
            b.Logging.SetMinimumLevel(LogLevel.Warning);
            configure?.Invoke(b);
        });
        await app.StartAsync();
        return new StackApi(app, url);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
