using System.Collections.Frozen;
using System.Net;
using Lilium.Relay.Auth;
using Lilium.Relay.Fleet;
using Lilium.Relay.Http;
using Lilium.Relay.Media;
using Lilium.Relay.Observability;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Dtls;
using Microsoft.Extensions.Options;

namespace Lilium.Relay;

/// <summary>
/// Composition root. Configuration: the <c>Relay</c> section, overridden by the environment
/// (<c>RELAY_MEDIA_PORT</c>, <c>RELAY_TCP_PORT</c>, <c>RELAY_TCP_MAX_CONNECTIONS</c>, <c>RELAY_TCP_MAX_PER_ADDRESS</c>, <c>RELAY_BIND_ADDRESS</c>, <c>RELAY_PUBLIC_IP</c>, <c>RELAY_STUN_SERVER</c>,
/// <c>RELAY_SENDMMSG</c>, <c>RELAY_FAST_START</c>, <c>RELAY_PROBING</c>, <c>RELAY_NACK_PUBLISHERS</c>, <c>RELAY_PROBE_CEILING_KBPS</c>, <c>RELAY_PLAYOUT_DELAY</c>, <c>RELAY_ALLOWED_ORIGINS</c>, <c>RELAY_KEY</c> / <c>RELAY_SECRET</c>, <c>RELAY_CONTROL_PLANE_URL</c>,
/// <c>RELAY_REVOCATION_POLL_MS</c>); HTTP listens on <c>ASPNETCORE_URLS</c> or :8080. The fleet (docs/relay.md, "The
/// fleet"): <c>CONNECTIONS_TABLE</c> (the registry; unset: a lone relay), <c>RELAY_ID</c>, <c>RELAY_PRIVATE_URL</c>,
/// <c>RELAY_HEARTBEAT_MS</c>, <c>RELAY_LIVE_MS</c>, <c>ECS_CONTAINER_METADATA_URI_V4</c>, <c>ECS_AGENT_URI</c> and the
/// <c>AWS_*</c> variables (<see cref="FleetEnvironment"/>).
/// </summary>
public static class RelayApp
{
    public static Task<WebApplication> CreateAsync(string[] args, Action<RelayOptions>? configure = null, CancellationToken cancellationToken = default) =>
        CreateAsync(args, configure, null, cancellationToken);

    /// <param name="configureServices">Registrations after the relay's own (tests: a decorated <see cref="IPacketSender"/>).</param>
    internal static async Task<WebApplication> CreateAsync(string[] args, Action<RelayOptions>? configure, Action<IServiceCollection>? configureServices, CancellationToken cancellationToken = default)
    {
        // No reloading of appsettings files (there are none): by default the host watches the content root, the working
        // directory, recursively for them — one inotify watch and a directory scan per subdirectory, which was the
        // largest part of a cold start (docs/lambda.md, "Init time").
        var builder = WebApplication.CreateSlimBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls("http://0.0.0.0:8080");
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = false;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        var options = new RelayOptions();
        builder.Configuration.GetSection("Relay").Bind(options);
        ApplyEnvironment(builder.Configuration, options);
        configure?.Invoke(options);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.DrainTimeout + TimeSpan.FromSeconds(5));

        // Every problem carries the request's id (X-Request-Id) so a report can be matched to the logs.
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = Lilium.Http.RequestIdMiddleware.AddToProblem);
        var relayKey = RelayKeyLoader.Load(builder.Configuration);
        builder.Services.AddSingleton(relayKey);
        builder.Services.AddSingleton(new RelayGrantVerifier(relayKey));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RevocationList>();
        builder.Services.AddSingleton<DepartureQueue>();
        builder.Services.AddSingleton<RevocationPoller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RevocationPoller>());
        builder.Services.AddSingleton(DtlsCertificate.Generate("lilium-relay"));
        builder.Services.AddSingleton<SessionRegistry>();
        builder.Services.AddSingleton<RelayMetrics>();
        builder.Services.AddSingleton<Input.InputRouter>();
        // The media core (docs/relay.md, "Media core"): the socket and its thread, the send path on it (tests may
        // decorate it through configureServices), the peer transport, the SFU forwarder, the one dispatcher, and the
        // hosted service that runs them.
        builder.Services.AddSingleton<MediaSocket>();
        builder.Services.AddSingleton<IMediaLoop>(sp => sp.GetRequiredService<MediaSocket>());
        builder.Services.AddSingleton<IPacketSender>(sp => sp.GetRequiredService<MediaSocket>().Sender);
        builder.Services.AddSingleton<SubscriberProbing>();
        builder.Services.AddSingleton<TransportCc>();
        builder.Services.AddSingleton<SfuForwarder>();
        builder.Services.AddSingleton<PeerTransport>();
        builder.Services.AddSingleton<MediaDispatcher>();
        builder.Services.AddSingleton<MediaServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MediaServer>());
        builder.Services.AddHostedService<DrainService>();
        builder.Services.AddSingleton<PeerFactory>();

        // The fleet: who this relay is, the address it advertises (learned by AddressDiscoveryService), its registry item
        // (HeartbeatService) and the forwarding of other relays' sessions (RelayProxy).
        var fleet = new FleetEnvironment(builder.Configuration);
        builder.Services.AddSingleton(fleet);
        builder.Services.AddSingleton(new RelayAdvertisement(fleet.RelayId));
        builder.Services.AddSingleton(sp => new RelayFleet(fleet.CreateRegistry(sp.GetRequiredService<TimeProvider>()), fleet));
        builder.Services.AddSingleton<RelayProxy>();
        builder.Services.AddHostedService<AddressDiscoveryService>();
        builder.Services.AddSingleton<HeartbeatService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HeartbeatService>());
        configureServices?.Invoke(builder.Services);
        _ = cancellationToken;

        var app = builder.Build();
        app.Use(Lilium.Http.RequestIdMiddleware.InvokeAsync);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var allowedOrigins = options.AllowedOrigins.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        app.Use(async (context, next) =>
        {
            // CORS for browser WHIP/WHEP clients (RFC 9725 §4.2), for the web app's origin only (RELAY_ALLOWED_ORIGINS);
            // the preflight needs no grant. The app behind one origin (CloudFront, or the API's local forwarding) needs none.
            var headers = context.Response.Headers;
            headers.Vary = "Origin";
            if (context.Request.Headers.Origin is [{ } origin] && allowedOrigins.Contains(origin))
            {
                headers.AccessControlAllowOrigin = origin;
                headers.AccessControlAllowMethods = "POST, PATCH, DELETE, OPTIONS";
                headers.AccessControlAllowHeaders = "Authorization, Content-Type, If-Match";
                headers.AccessControlExposeHeaders = "Location, ETag, Accept-Post, Accept-Patch, Retry-After, X-Request-Id";
            }

            await next(context);
        });

        // starting / ready / draining / no-address (FLEET-CONTRACT §3): 200 only when ready, so the load balancer sends
        // nothing to a relay that has no address to advertise.
        app.MapGet("/health", (SessionRegistry registry, RelayAdvertisement advertisement) =>
        {
            var status = registry.IsDraining ? "draining" : advertisement.State switch
            {
                Readiness.Ready => "ready",
                Readiness.NoAddress => "no-address",
                _ => "starting",
            };
            return Results.Json(new HealthReport(status, registry.SessionCount, registry.PeerCount, advertisement.RelayId),
                RelayJsonContext.Default.HealthReport, statusCode: status == "ready" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        app.MapGet("/metrics", (HttpContext context, RelayMetrics metrics, IOptions<RelayOptions> options) =>
            MetricsAccess.Allows(context, options.Value.MetricsToken)
                ? Results.Stream(body => metrics.ExportAsync(body, context.RequestAborted), "text/plain; version=0.0.4; charset=utf-8")
                : Problems.Unauthorized(options.Value.MetricsToken is null
                    ? "Metrics are served to loopback only; set RELAY_METRICS_TOKEN to scrape from elsewhere."
                    : "Send the metrics bearer token (RELAY_METRICS_TOKEN)."));
        WhipWhepEndpoints.Map(app);
        return app;
    }

    private static void ApplyEnvironment(IConfiguration configuration, RelayOptions options)
    {
        if (int.TryParse(configuration["RELAY_MEDIA_PORT"], out var port))
        {
            options.MediaPort = port;
        }

        if (int.TryParse(configuration["RELAY_TCP_PORT"], out var tcpPort))
        {
            options.TcpPort = tcpPort < 0 ? -1 : tcpPort;
        }

        if (int.TryParse(configuration["RELAY_TCP_MAX_CONNECTIONS"], out var tcpMax) && tcpMax > 0)
        {
            options.MaxTcpConnections = tcpMax;
        }

        if (int.TryParse(configuration["RELAY_TCP_MAX_PER_ADDRESS"], out var tcpPerAddress) && tcpPerAddress > 0)
        {
            options.MaxTcpConnectionsPerAddress = tcpPerAddress;
        }

        if (configuration["RELAY_BIND_ADDRESS"] is { Length: > 0 } bind && IPAddress.TryParse(bind, out _))
        {
            options.BindAddress = bind;
        }

        if (configuration["RELAY_PUBLIC_IP"] is { Length: > 0 } publicIp)
        {
            options.PublicIp = publicIp;
        }

        if (configuration["RELAY_STUN_SERVER"] is { Length: > 0 } stun)
        {
            options.StunServer = stun;
        }

        if (Uri.TryCreate(configuration["RELAY_CONTROL_PLANE_URL"], UriKind.Absolute, out var controlPlane))
        {
            options.ControlPlaneUrl = controlPlane.AbsoluteUri.EndsWith('/') ? controlPlane : new Uri(controlPlane.AbsoluteUri + "/");
        }

        if (configuration["RELAY_METRICS_TOKEN"] is { Length: > 0 } metricsToken)
        {
            options.MetricsToken = metricsToken;
        }

        if (int.TryParse(configuration["RELAY_MAX_PEERS"], out var maxPeers) && maxPeers > 0)
        {
            options.MaxPeers = maxPeers;
        }

        if (int.TryParse(configuration["RELAY_MAX_PEERS_PER_ADDRESS"], out var perAddress) && perAddress > 0)
        {
            options.MaxPeersPerAddress = perAddress;
        }

        if (configuration["RELAY_TRUSTED_PROXIES"] is { Length: > 0 } proxies)
        {
            options.SetTrustedProxies(proxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(p => IPNetwork.TryParse(p, out var network) ? network : throw new InvalidOperationException($"RELAY_TRUSTED_PROXIES: '{p}' is not a CIDR (like 10.0.0.0/16).")));
        }

        if (int.TryParse(configuration["RELAY_REVOCATION_POLL_MS"], out var pollMs) && pollMs is >= 50 and <= 500)
        {
            options.RevocationPollInterval = TimeSpan.FromMilliseconds(pollMs);
        }

        if (configuration["RELAY_ALLOWED_ORIGINS"] is { Length: > 0 } origins)
        {
            options.AllowedOrigins = [.. origins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        if (bool.TryParse(configuration["RELAY_FAST_START"], out var fastStart))
        {
            options.FastStart = fastStart;
        }

        if (configuration["RELAY_PLAYOUT_DELAY"] is { Length: > 0 } playout)
        {
            if (ParsePlayoutDelay(playout) is { } delay)
            {
                (options.PlayoutDelayMinMs, options.PlayoutDelayMaxMs) = delay;
            }
            else
            {
                options.PlayoutDelayEnabled = false;
            }
        }

        if (bool.TryParse(configuration["RELAY_PROBING"], out var probing))
        {
            options.Probing = probing;
        }

        if (bool.TryParse(configuration["RELAY_NACK_PUBLISHERS"], out var nackPublishers))
        {
            options.NackPublishers = nackPublishers;
        }

        if (configuration["RELAY_PROBE_CEILING_KBPS"] is { Length: > 0 } ceiling)
        {
            options.ProbeCeilingBps = int.TryParse(ceiling, out var kbps) && kbps is >= 100 and <= 100_000 ? kbps * 1000.0
                : throw new InvalidOperationException($"RELAY_PROBE_CEILING_KBPS: '{ceiling}' is not a whole number of kbit/s from 100 to 100000.");
        }

        if (bool.TryParse(configuration["RELAY_SENDMMSG"], out var sendMmsg))
        {
            options.SendMmsg = sendMmsg;
        }
    }

    // "off", or "min,max" in milliseconds (0 ≤ min ≤ max ≤ 40950).
    private static (int, int)? ParsePlayoutDelay(string text)
    {
        if (text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length == 2 && int.TryParse(parts[0], out var min) && int.TryParse(parts[1], out var max)
            && min >= 0 && max >= min && max <= Lilium.WebRtc.Rtp.PlayoutDelay.MaxMilliseconds)
        {
            return (min, max);
        }

        throw new InvalidOperationException($"RELAY_PLAYOUT_DELAY: '{text}' is neither 'off' nor 'min,max' in milliseconds (0 ≤ min ≤ max ≤ {Lilium.WebRtc.Rtp.PlayoutDelay.MaxMilliseconds}).");
    }
}
