using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Lilium.Lambda.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Lilium.Lambda.Observability;
using Microsoft.Extensions.Logging;

namespace Lilium.LocalGateway;

/// <summary>
/// A development stand-in for an API Gateway WebSocket API: Kestrel accepts clients, each lifecycle step becomes a
/// proxy event handed to <c>invoke</c> (the handler, in process), and <c>@connections</c> is served for handlers that
/// post over HTTP. Not for production.
/// </summary>
public sealed class LocalGatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GatewayOptions _options;
    private readonly EventFactory _events;
    private readonly Func<WebSocketEvent, CancellationToken, Task<WebSocketResponse>> _invoke;

    public LocalGatewayHost(GatewayOptions options, ConnectionRegistry registry, Func<WebSocketEvent, CancellationToken, Task<WebSocketResponse>> invoke, TimeProvider? time = null)
    {
        _options = options;
        _invoke = invoke;
        Registry = registry;
        _events = new EventFactory(options, time ?? TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        // OTLP export of the gateway's and the in-process handler's spans and metrics, when configured (docs/observability.md).
        if (options.TelemetrySettings is not null)
        {
            builder.Configuration.AddConfiguration(options.TelemetrySettings);
        }

        builder.Services.AddFunctionTelemetry(builder.Configuration, "lilium-local-gateway", Signaling.SignalingTelemetry.Name);
        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        MapManagementApi("/@connections/{id}");
        MapManagementApi("/{stage}/@connections/{id}");
        _app.Use(async (context, next) =>
        {
            if (context.WebSockets.IsWebSocketRequest)
            {
                await ServeAsync(context);
            }
            else
            {
                await next(context);
            }
        });
    }

    public ConnectionRegistry Registry { get; }

    public Uri WebSocketUri => new($"ws://127.0.0.1:{_options.Port}/{_options.Stage}");

    public Uri ManagementEndpoint => new($"http://127.0.0.1:{_options.Port}/{_options.Stage}");

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    public Task RunAsync() => _app.RunAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void MapManagementApi(string pattern)
    {
        _app.MapPost(pattern, async (string id, HttpRequest request, CancellationToken ct) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, ct);
            if (body.Length > _options.MaxMessageBytes)
            {
                return Results.Json(new { message = "Payload too large" }, statusCode: 413);
            }

            return await Registry.SendAsync(ConnectionId(id), body.ToArray(), ct) ? Results.Ok() : Gone();
        });
        _app.MapGet(pattern, (string id) => Registry.Find(ConnectionId(id)) is { } c
            ? Results.Json(new
            {
                connectedAt = c.ConnectedAt.ToString("O"),
                lastActiveAt = c.LastActiveAt.ToString("O"),
                identity = new { sourceIp = c.SourceIp, userAgent = c.UserAgent },
            })
            : Gone());
        _app.MapDelete(pattern, async (string id) =>
        {
            if (Registry.Find(ConnectionId(id)) is not { } c)
            {
                return Gone();
            }

            await c.CloseAsync(WebSocketCloseStatus.NormalClosure, "");
            return Results.NoContent();
        });
    }

    /// <summary>
    /// The connection id from its route value. Routing decodes a path segment except <c>%2F</c>, which it leaves as is
    /// (a decoded '/' would be a segment separator); ids are base64, so about one in five holds a '/', and clients
    /// (<c>ApiGatewayManagementClient</c>, the AWS SDKs) percent-encode it. Without this, such a connection answered
    /// 410 to every post, which the signaling handler takes as gone.
    /// </summary>
    internal static string ConnectionId(string routeValue) => routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static IResult Gone() => Results.Json(new { message = "Gone" }, statusCode: 410);

    private async Task ServeAsync(HttpContext http)
    {
        var connection = new GatewayConnection(
            EventFactory.NewConnectionId(),
            http.Connection.RemoteIpAddress?.ToString(),
            http.Request.Headers.UserAgent.ToString(),
            DateTimeOffset.UtcNow);
        Registry.Add(connection);
        var host = http.Request.Host.Value ?? "";
        WebSocketResponse response;
        try
        {
            response = await _invoke(_events.Connect(http, connection), http.RequestAborted);
        }
        catch (Exception e)
        {
            _app.Logger.LogError(e, "$connect failed for {ConnectionId}", connection.Id);
            response = new WebSocketResponse { StatusCode = 500 };
        }

        if (response.StatusCode is < 200 or > 299)
        {
            await connection.OpenAsync(null);
            Registry.Remove(connection.Id);
            http.Response.StatusCode = response.StatusCode;
            return;
        }

        string? subprotocol = null;
        response.Headers?.TryGetValue("Sec-WebSocket-Protocol", out subprotocol);
        using var socket = await http.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subprotocol });
        await connection.OpenAsync(socket);
        var (status, reason) = await ReceiveLoopAsync(socket, connection, host);
        Registry.Remove(connection.Id);
        try
        {
            await _invoke(_events.Disconnect(connection, (int)status, reason, host), CancellationToken.None);
        }
        catch (Exception e)
        {
            // API Gateway ignores $disconnect failures too.
            _app.Logger.LogError(e, "$disconnect failed for {ConnectionId}", connection.Id);
        }
    }

    private async Task<(WebSocketCloseStatus Status, string Reason)> ReceiveLoopAsync(WebSocket socket, GatewayConnection connection, string host)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new ArrayBufferWriter<byte>();
        using var idle = new CancellationTokenSource(_options.IdleTimeout);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                try
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), idle.Token);
                }
                catch (OperationCanceledException)
                {
                    return (WebSocketCloseStatus.EndpointUnavailable, "Going away");
                }
                catch (WebSocketException)
                {
                    return (WebSocketCloseStatus.EndpointUnavailable, "Connection lost");
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await TryCloseAsync(socket, WebSocketCloseStatus.NormalClosure, "");
                    return (socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, socket.CloseStatusDescription ?? "");
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    await TryCloseAsync(socket, WebSocketCloseStatus.InvalidMessageType, "Binary frames are not supported");
                    return (WebSocketCloseStatus.InvalidMessageType, "Binary frames are not supported");
                }

                if (message.WrittenCount + result.Count > _options.MaxMessageBytes)
                {
                    await TryCloseAsync(socket, WebSocketCloseStatus.MessageTooBig, "Message too big");
                    return (WebSocketCloseStatus.MessageTooBig, "Message too big");
                }

                message.Write(buffer.AsSpan(0, result.Count));
                if (!result.EndOfMessage)
                {
                    continue;
                }

                idle.CancelAfter(_options.IdleTimeout);
                connection.LastActiveAt = DateTimeOffset.UtcNow;
                var body = Encoding.UTF8.GetString(message.WrittenSpan);
                message.Clear();
                try
                {
                    // One message at a time per connection keeps a client's messages in order.
                    await _invoke(_events.Message(connection, body, host), CancellationToken.None);
                }
                catch (Exception e)
                {
                    _app.Logger.LogError(e, "Message handling failed for {ConnectionId}", connection.Id);
                    await connection.SendAsync("{\"message\": \"Internal server error\"}"u8.ToArray(), CancellationToken.None);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task TryCloseAsync(WebSocket socket, WebSocketCloseStatus status, string reason)
    {
        try
        {
            await socket.CloseOutputAsync(status, reason, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }
    }
}
