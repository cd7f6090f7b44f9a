using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;

namespace Lilium.Host.Tests;

/// <summary>A real relay in-process: Kestrel on a free loopback port, media on a free UDP port, fresh token keys.</summary>
public class RelayFixture : IAsyncLifetime
{
    /// <summary>Options a derived fixture changes from the defaults.</summary>
    protected virtual void Configure(RelayOptions options)
    {
    }

    public TokenKeys Keys { get; } = TokenKeys.Generate();

    public WebApplication App { get; private set; } = null!;

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    public async Task InitializeAsync()
    {
        var httpPort = Ports.FreeTcp();
        var mediaPort = Ports.FreeUdp();
        App = await RelayApp.CreateAsync(
            ["--urls", $"http://127.0.0.1:{httpPort}", "--RELAY_KEY", Keys.RelayKey, "--Logging:LogLevel:Default", "Warning"],
            o =>
            {
                o.MediaPort = mediaPort;
                o.BindAddress = "127.0.0.1";
                o.PublicIp = "127.0.0.1"; // loopback is advertised only when said outright (issue 24)
                o.ConnectTimeout = TimeSpan.FromSeconds(15);
                o.DrainTimeout = TimeSpan.FromSeconds(1);
                Configure(o);
            });
        await App.StartAsync();
        BaseUri = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public string Grant(Guid session, RelayRole role, Guid user, InputPermissions permissions)
    {
        var now = DateTimeOffset.UtcNow;
        return Keys.RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = user,
            Permissions = permissions,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = (now + TimeSpan.FromMinutes(5)).ToUnixTimeSeconds(),
            SessionId = session,
            Role = role,
        });
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>A relay without fast start: a joining viewer's first keyframe must come from the host, on demand.</summary>
public sealed class RelayWithoutFastStartFixture : RelayFixture
{
    protected override void Configure(RelayOptions options) => options.FastStart = false;
}
