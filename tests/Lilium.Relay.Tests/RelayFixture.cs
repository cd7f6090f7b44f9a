using System.Net;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.Relay.Sessions;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Lilium.Protocol;

namespace Lilium.Relay.Tests;

/// <summary>
/// A real relay in-process: Kestrel on a free loopback TCP port, the media socket on a free UDP
/// port, fresh token keys. The media socket's sender is wrapped in the test-only <see cref="ImpairedPacketSender"/>
/// (5% seeded loss, and each video track's first packet), which acts only on viewers that ask for it with the
/// X-Lilium-Test-Loss header.
/// </summary>
public sealed class RelayFixture : IAsyncLifetime, IRelayEndpoints
{
    private readonly Action<RelayOptions>? _configure;
    private readonly IReadOnlyDictionary<string, string>? _settings;

    public RelayFixture()
    {
        Keys = TokenKeys.Generate();
    }

    /// <param name="configure">Options set after the configuration's.</param>
    /// <param name="settings">Configuration as the environment would give it (<c>CONNECTIONS_TABLE</c>, <c>RELAY_ID</c>, …).</param>
    /// <param name="keys">Keys shared with other relays of one fleet; fresh ones by default.</param>
    internal RelayFixture(Action<RelayOptions>? configure, IReadOnlyDictionary<string, string>? settings = null, TokenKeys? keys = null)
    {
        _configure = configure;
        _settings = settings;
        Keys = keys ?? TokenKeys.Generate();
    }

    public TokenKeys Keys { get; }

    public WebApplication App { get; private set; } = null!;

    public Uri BaseUri { get; private set; } = null!;

    public IPEndPoint MediaEndPoint { get; private set; } = null!;

    /// <summary>The send impairment composed around the media socket's sender (it touches impairable viewers only).</summary>
    internal ImpairedPacketSender Impairment { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    internal SessionRegistry Registry => App.Services.GetRequiredService<SessionRegistry>();

    internal Media.SfuForwarder Forwarder => App.Services.GetRequiredService<Media.SfuForwarder>();

    internal Observability.RelayMetrics Metrics => App.Services.GetRequiredService<Observability.RelayMetrics>();

    /// <summary>The web app's origin, the one the relay's CORS allows.</summary>
    public const string AppOrigin = "http://127.0.0.1:5080";

    public async Task InitializeAsync()
    {
        var httpPort = Ports.FreeTcp();
        var mediaPort = Ports.FreeUdp();
        string[] args = ["--urls", $"http://127.0.0.1:{httpPort}", "--RELAY_KEY", Keys.RelayKey, "--Logging:LogLevel:Default", "Warning"];
        App = await RelayApp.CreateAsync(
            [.. args, .. (_settings ?? new Dictionary<string, string>()).SelectMany(kv => new[] { "--" + kv.Key, kv.Value })],
            o =>
            {
                o.MediaPort = mediaPort;
                o.BindAddress = "127.0.0.1";
                o.PublicIp = "127.0.0.1"; // loopback is advertised only when said outright (issue 24)
                o.AllowedOrigins = [AppOrigin];
                o.ConnectTimeout = TimeSpan.FromSeconds(15);
                o.DrainTimeout = TimeSpan.FromSeconds(1);
                o.MaxPeersPerAddress = 1000; // every test client is 127.0.0.1; PeerLimitTests sets its own cap
                _configure?.Invoke(o);
            },
            services => services.AddSingleton<IPacketSender>(sp => Impairment = new ImpairedPacketSender(
                sp.GetRequiredService<MediaSocket>().Sender, new SendImpairment(LossPercent: 5),
                sp.GetRequiredService<Observability.RelayMetrics>(), TimeProvider.System)));
        await App.StartAsync();
        BaseUri = new Uri($"http://127.0.0.1:{httpPort}");
        MediaEndPoint = App.Services.GetRequiredService<MediaSocket>().LocalEndPoint;
    }

    public string Grant(Guid session, RelayRole role, TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null) =>
        Grant(session, role, Guid.NewGuid(), InputPermissions.None, lifetime, issuedAt);

    public string Grant(Guid session, RelayRole role, Guid user, InputPermissions permissions, TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null)
    {
        var now = issuedAt ?? DateTimeOffset.UtcNow;
        return Keys.RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = user,
            Permissions = permissions,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = (now + (lifetime ?? TimeSpan.FromMinutes(5))).ToUnixTimeSeconds(),
            SessionId = session,
            Role = role,
        });
    }

    public Uri Whip(Guid session) => new(BaseUri, $"/whip/{session}");

    public Uri Whep(Guid session) => new(BaseUri, $"/whep/{session}");

    internal async Task<MediaPeer> WaitForSecuredPublisherAsync(Guid session, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Registry.FindSession(session)?.Publisher is { State: PeerState.Secured } publisher
                && publisher.Streams.Any(s => s.IsVideo && s.Received > 30))
            {
                return publisher;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no secured publisher streaming in session {session}");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
