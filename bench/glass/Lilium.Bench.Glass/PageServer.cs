using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

/// <summary>Serves bench/glass/pages (the host and viewer pages and their one script) on a free loopback port.</summary>
internal sealed class PageServer : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Files = new(StringComparer.Ordinal)
    {
        ["host.html"] = "text/html; charset=utf-8",
        ["viewer.html"] = "text/html; charset=utf-8",
        ["glass.js"] = "text/javascript; charset=utf-8",
    };

    private readonly WebApplication _app;

    private PageServer(WebApplication app, Uri origin)
    {
        _app = app;
        Origin = origin;
    }

    /// <summary><c>http://127.0.0.1:PORT</c>, the pages' origin (the relay's and Janus's CORS name it).</summary>
    public Uri Origin { get; }

    /// <summary>The origin as a browser sends it in <c>Origin</c>: no trailing slash.</summary>
    public string OriginHeader => Origin.GetLeftPart(UriPartial.Authority);

    public static async Task<PageServer> StartAsync(string folder)
    {
        foreach (var name in Files.Keys)
        {
            if (!File.Exists(Path.Combine(folder, name)))
            {
                throw new FileNotFoundException($"bench-glass: the page folder {folder} lacks {name}");
            }
        }

        var app = Lilium.Testing.LoopbackWebApp.Create();
        app.MapGet("/{name}", async (string name, HttpContext context) =>
        {
            if (!Files.TryGetValue(name, out var type))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            context.Response.ContentType = type;
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.SendFileAsync(Path.Combine(folder, name));
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new PageServer(app, new Uri(address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal)));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
