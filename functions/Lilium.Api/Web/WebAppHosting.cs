using System.Text;
using System.Text.Json;
using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Lilium.Api.Web;

/// <summary>
/// Serves the LiliumShare web app (client-sdk/web, built by esbuild) from the API's origin: the files of
/// <see cref="WebAppSettings.Root"/>, <c>index.html</c> at <c>/</c> and for the deep links <c>/s/{sessionId}</c> and
/// <c>/i/{inviteCode}</c>, a strict Content-Security-Policy (no inline script or style), and <c>/config.json</c>.
/// </summary>
internal static class WebAppHosting
{
    private const string HashedAssetsPath = "/assets";

    public static void UseWebApp(this WebApplication app, WebAppSettings settings)
    {
        if (settings.ProxySignaling is not null || settings.ProxyRelay is not null)
        {
            LocalProxy.Use(app, settings);
        }

        if (settings.Root is null)
        {
            return;
        }

        var csp = ContentSecurityPolicy(settings);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(settings.Root),
            ServeUnknownFileTypes = false,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                AddSecurityHeaders(headers, csp);
                headers.CacheControl = context.Context.Request.Path.StartsWithSegments(HashedAssetsPath)
                    ? "public, max-age=31536000, immutable" // names carry a content hash
                    : "no-cache";
            },
        });
    }

    public static void MapWebApp(this IEndpointRouteBuilder app, WebAppSettings settings)
    {
        var config = ConfigJson(settings);
        app.MapGet("/config.json", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-cache";
            return Results.Bytes(config, "application/json");
        }).AllowAnonymous().ExcludeFromDescription();

        if (settings.Root is null)
        {
            return;
        }

        var index = Path.Combine(settings.Root, "index.html");
        var csp = ContentSecurityPolicy(settings);
        IResult Index(HttpContext http)
        {
            AddSecurityHeaders(http.Response.Headers, csp);
            http.Response.Headers.CacheControl = "no-cache";
            return Results.File(index, "text/html; charset=utf-8");
        }

        app.MapGet("/", Index).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/s/{sessionId}", (HttpContext http, string sessionId) => Index(http)).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/i/{inviteCode}", (HttpContext http, string inviteCode) => Index(http)).AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>What the app fetches first: where signaling and the relay are (paths are relative to the app's origin).</summary>
    internal static byte[] ConfigJson(WebAppSettings settings)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("api", "/");
            json.WriteString("signaling", settings.SignalingUrl);
            json.WriteString("relay", settings.RelayUrl);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    internal static string ContentSecurityPolicy(WebAppSettings settings)
    {
        var connect = new StringBuilder("'self'");
        foreach (var origin in settings.ExternalOrigins().Distinct(StringComparer.Ordinal))
        {
            connect.Append(' ').Append(origin);
        }

        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
            + "media-src 'self' blob: mediastream:; connect-src " + connect + "; manifest-src 'self'; "
            + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";
    }

    private static void AddSecurityHeaders(IHeaderDictionary headers, string csp)
    {
        headers.ContentSecurityPolicy = csp;
        headers.XContentTypeOptions = "nosniff";
        headers[HeaderNames.XFrameOptions] = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
    }
}
