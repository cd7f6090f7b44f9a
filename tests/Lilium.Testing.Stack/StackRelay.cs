using Lilium.Auth;
using Lilium.Relay;
using Microsoft.AspNetCore.Builder;

namespace Lilium.Testing.Stack;

/// <summary>
/// The media relay in this process: HTTP on a loopback port, media on a free UDP port advertised as 127.0.0.1, holding
/// the relay key alone and polling the API's revocations feed (kick, block, end, logout).
/// </summary>
public sealed class StackRelay : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StackRelay(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The relay's HTTP base (WHIP/WHEP), e.g. http://127.0.0.1:41235/.</summary>
    public Uri Url { get; }

    /// <summary>The relay's services, for tests that read its state in process when they explain a failure.</summary>
    public IServiceProvider Services => _app.Services;

    /// <param name="controlPlane">The API's base, for the revocations feed.</param>
    /// <param name="allowedOrigin">The web app's origin when browsers call the relay (CORS); null for SDK-only stacks.</param>
    public static async Task<StackRelay> StartAsync(TokenKeys keys, Uri controlPlane, string? allowedOrigin = null)
    {
        var port = Ports.FreeTcp();
        var app = await RelayApp.CreateAsync(
            ["--urls", $"http://127.0.0.1:{port}", "--RELAY_KEY", keys.RelayKey, "--RELAY_CONTROL_PLANE_URL", controlPlane.ToString(),
                "--Logging:LogLevel:Default", "Warning"],
            o =>
            {
                o.MediaPort = Ports.FreeUdp();
                o.BindAddress = "127.0.0.1";
                o.PublicIp = "127.0.0.1"; // loopback is advertised only when said outright
                if (allowedOrigin is not null)
                {
                    o.AllowedOrigins = [allowedOrigin];
                }
            });
        await app.StartAsync();
        return new StackRelay(app, new Uri($"http://127.0.0.1:{port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
