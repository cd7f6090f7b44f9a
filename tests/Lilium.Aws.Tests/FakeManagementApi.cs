using System.Collections.Concurrent;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Lilium.Aws.Tests;

/// <summary>
/// A tiny Kestrel stand-in for the API Gateway <c>@connections</c> API on a loopback port (moto has
/// none). It records every request as received and answers like the service: 200 for a post, 204 for a
/// delete, the connection's JSON for a get, 410 for the connection id <c>gone</c>, and 429 while
/// <see cref="ThrottleNext"/> is positive.
/// </summary>
internal sealed class FakeManagementApi : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeManagementApi(WebApplication app) => _app = app;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int ThrottleNext;

    public Uri StageUrl { get; private set; } = null!;

    public int Port => StageUrl.Port;

    public static async Task<FakeManagementApi> StartAsync()
    {
        var app = LoopbackWebApp.Create();
        var api = new FakeManagementApi(app);
        app.Run(api.HandleAsync);
        await app.StartAsync();
        var address = app.Urls.First();
        api.StageUrl = new Uri(address.TrimEnd('/') + "/prod");
        return api;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var rawTarget = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
        Requests.Enqueue(new RecordedRequest(
            context.Request.Method,
            rawTarget,
            context.Request.Path.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal),
            body.ToArray()));

        if (Interlocked.Decrement(ref ThrottleNext) >= 0)
        {
            context.Response.StatusCode = 429;
            context.Response.Headers["x-amzn-ErrorType"] = "LimitExceededException";
            await context.Response.WriteAsync("{\"message\":\"slow down\"}");
            return;
        }

        var segments = context.Request.Path.Value!.Split('/');
        if (segments is not ["", "prod", "@connections", var id])
        {
            context.Response.StatusCode = 404;
            return;
        }

        if (id == "gone")
        {
            context.Response.StatusCode = 410;
            context.Response.Headers["x-amzn-ErrorType"] = "GoneException";
            context.Response.Headers["x-amzn-RequestId"] = "req-410";
            await context.Response.WriteAsync("{\"message\":null}");
            return;
        }

        switch (context.Request.Method)
        {
            case "POST":
                context.Response.StatusCode = 200;
                break;
            case "DELETE":
                context.Response.StatusCode = 204;
                break;
            case "GET":
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"connectedAt\":\"2026-11-22T10:00:00.000Z\",\"identity\":{\"sourceIp\":\"203.0.113.9\",\"userAgent\":\"Lilium/1\"},\"lastActiveAt\":\"2026-11-22T10:05:30.500Z\"}");
                break;
            default:
                context.Response.StatusCode = 405;
                break;
        }
    }
}

internal sealed record RecordedRequest(string Method, string RawTarget, string DecodedPath, IReadOnlyDictionary<string, string> Headers, byte[] Body);
