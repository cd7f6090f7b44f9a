using System.Globalization;
using System.Threading.RateLimiting;
using Lilium.Api.Contracts;
using Lilium.Api.Endpoints;
using Lilium.Api.Infrastructure;
using Lilium.Api.Security;
using Lilium.Api.Web;
using Lilium.Data;
using Lilium.Data.Auth;
using Lilium.Data.Fleet;
using Lilium.Data.Friends;
using Lilium.Data.Grants;
using Lilium.Data.Migrations;
using Lilium.Data.Sessions;
using Lilium.Data.Users;
using Lilium.Lambda.Observability;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using Lilium.Protocol;

namespace Lilium.Api;

/// <summary>
/// Builds the control-plane API. The same app runs on Kestrel (the default server) and on Lambda
/// (a hosting adapter swaps the server in <c>configure</c>). Settings come from configuration, which
/// includes the environment: DATABASE_URL / DB_SECRET_ARN / DB_*, TOKEN_KEYS / TOKEN_KEYS_SECRET_ARN,
/// RATE_LIMIT_AUTH_PER_IP / RATE_LIMIT_AUTH_PER_USER, ASPNETCORE_URLS (default http://127.0.0.1:5080); the relay fleet's
/// RELAY_CLUSTER / RELAY_SERVICE / CONNECTIONS_TABLE / RELAY_* and RELAY_URL (docs/relay.md).
/// </summary>
public static class ApiApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <param name="configure">Runs after the defaults and before settings are resolved: add configuration, swap the server, replace services (e.g. <see cref="TimeProvider"/>).</param>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        // No reloading of appsettings files (there are none): by default the host watches the content root, the working
        // directory, recursively for them — one inotify watch and a directory scan per subdirectory, which was the
        // largest part of a cold start (docs/lambda.md, "Init time").
        var builder = WebApplication.CreateSlimBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = ApiSettings.MaxRequestBodyBytes;
        });
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // Per-request framework logs cost more than the requests; configuration (Logging:LogLevel:…) can lower this.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configure?.Invoke(builder);
        var settings = await ApiSettings.ResolveAsync(builder.Configuration, builder.Environment.IsDevelopment(), cancellationToken);
        AddServices(builder.Services, settings);
        // The relay fleet (docs/relay.md): placement and scaling when RELAY_CLUSTER / RELAY_SERVICE / CONNECTIONS_TABLE
        // are set; otherwise none, as a single-relay setup. A caller of BuildAsync may register its own FleetAccess.
        var configuration = builder.Configuration;
        builder.Services.TryAddSingleton(sp => new FleetAccess(
            FleetControl.FromEnvironment(sp.GetRequiredService<NpgsqlDataSource>(), k => configuration[k], sp.GetRequiredService<TimeProvider>()),
            Uri.TryCreate(configuration["RELAY_URL"], UriKind.Absolute, out var relayUrl) ? relayUrl : null));
        // OTLP export of traces and metrics when OTEL_EXPORTER_OTLP_ENDPOINT (or a per-signal one) is set; else nothing.
        builder.Services.AddFunctionTelemetry(builder.Configuration, "lilium-api");
        var web = WebAppSettings.From(k => builder.Configuration[k]);

        var app = builder.Build();
        app.Logger.LogInformation("Database settings from {Source}", settings.DatabaseSource);
        MapPipeline(app, web);
        return app;
    }

    /// <summary>
    /// Opens (and returns to the pool) one database connection. Failures are only logged: the requests that need
    /// the database report it themselves (503), and a paused Aurora cluster starts resuming either way.
    /// </summary>
    public static async Task WarmDatabaseAsync(WebApplication app)
    {
        try
        {
            await using var connection = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync(app.Lifetime.ApplicationStopping);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            app.Logger.LogWarning("Database warm-up failed: {Error}", e.Message);
        }
    }

    /// <summary>Applies the migrations to the configured database; returns the process exit code.</summary>
    public static async Task<int> MigrateAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        var (applied, source) = await ApplyMigrationsAsync(k => configuration[k], cancellationToken);
        Console.WriteLine(applied.Count == 0
            ? $"migrate: up to date ({Migrator.All.Count} migrations; settings from {source})"
            : $"migrate: applied {string.Join(", ", applied.Select(v => v.ToString("D4", CultureInfo.InvariantCulture)))} (settings from {source})");
        return 0;
    }

    /// <summary>
    /// Applies pending migrations to the database the settings name (<c>DATABASE_URL</c> &gt; secret ARN &gt; <c>DB_*</c>);
    /// shared by the <c>migrate</c> command and the deploy-time custom resource.
    /// </summary>
    public static async Task<(IReadOnlyList<int> Applied, Data.Configuration.DatabaseSettingsSource Source)> ApplyMigrationsAsync(
        Func<string, string?> setting, CancellationToken cancellationToken)
    {
        var (connectionString, source) = await Data.Configuration.DatabaseSettings.ResolveAsync(setting, new Data.Configuration.LazySecretReader(), cancellationToken);
        await using var db = LiliumDatabase.CreateDataSource(connectionString);
        return (await new Migrator(db).MigrateAsync(cancellationToken), source);
    }

    private static void AddServices(IServiceCollection services, ApiSettings settings)
    {
        services.ConfigureHttpJsonOptions(o =>
        {
            // The context's type infos take these options, not the context's own: strictness is set here.
            o.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default);
            o.SerializerOptions.RespectNullableAnnotations = true;
            o.SerializerOptions.RespectRequiredConstructorParameters = true;
            o.SerializerOptions.AllowTrailingCommas = false;
            o.SerializerOptions.ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow;
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            // Problems written by the framework (status code pages, body limits) get a code too.
            if (!c.ProblemDetails.Extensions.ContainsKey("code"))
            {
                c.ProblemDetails.Extensions["code"] = ProblemCodes.ForStatus(c.ProblemDetails.Status ?? c.HttpContext.Response.StatusCode);
            }

            // Every problem names its request (the X-Request-Id response header), to match a report to the logs.
            Lilium.Http.RequestIdMiddleware.AddToProblem(c);
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "LiliumShare control-plane API";
            document.Info.Description = "Identity, friends, input grants, sessions, invites and relay grants. See docs/api.md.";
            return Task.CompletedTask;
        }));

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings.RateLimits);
        services.AddSingleton(_ => LiliumDatabase.CreateDataSource(settings.ConnectionString));
        services.AddSingleton(sp => new TokenService(settings.TokenKeys, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AuthRateLimiter>();
        services.AddSingleton<UserRepository>();
        services.AddSingleton<ChallengeRepository>();
        services.AddSingleton<RefreshFamilyRepository>();
        services.AddSingleton<FriendshipRepository>();
        services.AddSingleton<FriendGrantRepository>();
        services.AddSingleton<SessionRepository>();
        services.AddSingleton<InviteRepository>();
        services.AddSingleton<Lilium.Data.Revocations.RevocationRepository>();
        services.AddSingleton(sp => new RelayGrantIssuer(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<TokenService>().Relay));

        // AuthenticationCore, not AddAuthentication(): the latter also registers Data Protection, whose
        // hosted service loads (or creates) a key ring at start — cold-start time we do not need for bearer tokens.
        services.AddAuthenticationCore(o => o.DefaultScheme = BearerAuthenticationHandler.SchemeName);
        services.AddWebEncoders();
        new Microsoft.AspNetCore.Authentication.AuthenticationBuilder(services)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerAuthenticationHandler>(BearerAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(AuthRateLimiter.IpPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = settings.RateLimits.PerIpPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            o.OnRejected = async (rejected, ct) =>
            {
                var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                var http = rejected.HttpContext;
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new ProblemDetails
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Detail = "Too many requests from this address; retry later.",
                        Extensions = { ["code"] = ErrorCode.RateLimited.WireName() },
                    },
                });
            };
        });
    }

    private static void MapPipeline(WebApplication app, WebAppSettings web)
    {
        app.Use(Lilium.Http.RequestIdMiddleware.InvokeAsync); // first: even the exception handler's problems carry the id
        app.UseExceptionHandler();
        app.UseStatusCodePages(); // 404 for unknown routes, 405 for wrong methods: problem details too.
        app.UseWebApp(web); // static files and the local /ws, /whip, /whep forwarding (docs/web.md)
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapOpenApi(); // /openapi/v1.json
        app.MapHealthEndpoints();
        app.MapUserEndpoints();
        app.MapAuthEndpoints();
        app.MapFriendEndpoints();
        app.MapSessionEndpoints();
        app.MapRelayFeedEndpoints();
        app.MapWebApp(web);
    }
}
