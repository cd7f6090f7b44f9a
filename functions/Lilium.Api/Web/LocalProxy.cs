using System.Net.WebSockets;
using Lilium.Api.Infrastructure;
using Lilium.Protocol;

namespace Lilium.Api.Web;

/// <summary>
/// Local only (<c>make run</c>, the browser tests): forwards <c>/ws</c> to the WebSocket gateway and <c>/whip/…</c>,
/// <c>/whep/…</c> to the media relay, so the web app talks to one origin, as it does on AWS behind CloudFront.
/// Nothing is interpreted: the access token rides in <c>Sec-WebSocket-Protocol</c> and the relay grant in
/// <c>Authorization</c>, both passed through unchanged; upstream status codes and bodies come back as they are.
/// </summary>
internal static class LocalProxy
{
    /// <summary>WHIP/WHEP offers are SDP (the relay caps them itself); this only bounds what is buffered here.</summary>
    private const int MaxBodyBytes = 256 * 1024;

    private static readonly string[] RequestHeaders = ["Authorization", "Content-Type", "If-Match", "Accept"];

    private static readonly string[] ResponseHeaders = ["Location", "ETag", "Accept-Post", "Accept-Patch", "Retry-After", "Link"];

    public static void Use(WebApplication app, WebAppSettings settings)
    {
        if (settings.ProxySignaling is { } signaling)
        {
            app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
            app.Map("/ws", b => b.Run(context => ProxyWebSocketAsync(context, signaling)));
        }

        if (settings.ProxyRelay is { } relay)
        {
            var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false })
            {
                BaseAddress = relay,
                Timeout = TimeSpan.FromSeconds(30),
            };
            app.Lifetime.ApplicationStopped.Register(client.Dispose);
            app.MapWhen(
                c => c.Request.Path.StartsWithSegments("/whip") || c.Request.Path.StartsWithSegments("/whep"),
                b => b.Run(context => ProxyHttpAsync(context, client)));
        }
    }

    private static async Task ProxyWebSocketAsync(HttpContext context, Uri upstreamBase)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problems.Of(ErrorCode.BadRequest, "This endpoint speaks WebSocket only.").ExecuteAsync(context);
            return;
        }

        using var upstream = new ClientWebSocket();
        upstream.Options.CollectHttpResponseDetails = true;
        upstream.Options.KeepAliveInterval = TimeSpan.Zero;
        foreach (var protocol in context.WebSockets.WebSocketRequestedProtocols)
        {
            upstream.Options.AddSubProtocol(protocol);
        }

        var target = new UriBuilder(upstreamBase) { Query = context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "" }.Uri;
        try
        {
            await upstream.ConnectAsync(target, context.RequestAborted);
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            var status = (int)upstream.HttpStatusCode;
            if (status is >= 400 and < 500)
            {
                context.Response.StatusCode = status; // 401 bad token, 403 too many connections: the gateway's answer
                return;
            }

            await Problems.Of(ErrorCode.SignalingUnavailable, "The signaling service does not answer.").ExecuteAsync(context);
            return;
        }

        using var downstream = await context.WebSockets.AcceptWebSocketAsync(upstream.SubProtocol);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var up = PumpAsync(downstream, upstream, stop);
        var down = PumpAsync(upstream, downstream, stop);
        await Task.WhenAny(up, down);
        await stop.CancelAsync();
        await Task.WhenAll(up, down);
    }

    /// <summary>Copies messages from one socket to the other until either closes; a close is passed on with its code.</summary>
    private static async Task PumpAsync(WebSocket from, WebSocket to, CancellationTokenSource stop)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var result = await from.ReceiveAsync(buffer, stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await to.CloseOutputAsync(from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, CancellationToken.None);
                    }

                    return;
                }

                await to.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, stop.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                try
                {
                    await to.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "peer gone", CancellationToken.None);
                }
                catch (Exception inner) when (inner is WebSocketException or IOException or ObjectDisposedException)
                {
                    // Already gone both ways.
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
        }
    }

    private static async Task ProxyHttpAsync(HttpContext context, HttpClient client)
    {
        var request = context.Request;
        if (request.ContentLength > MaxBodyBytes)
        {
            await Problems.Of(ErrorCode.TooLarge, $"Bodies are limited to {MaxBodyBytes} bytes.").ExecuteAsync(context);
            return;
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes; // Kestrel's API-wide cap is 16 KB
        }

        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path.Value![1..] + request.QueryString.Value);
        foreach (var name in RequestHeaders)
        {
            if (name != "Content-Type" && request.Headers.TryGetValue(name, out var value))
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)value);
            }
        }

        // The relay logs and answers under the same request id as this response.
        message.Headers.TryAddWithoutValidation(Lilium.Protocol.Http.RequestIds.Header, context.TraceIdentifier);
        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            if (body.Length > MaxBodyBytes)
            {
                await Problems.Of(ErrorCode.TooLarge, $"Bodies are limited to {MaxBodyBytes} bytes.").ExecuteAsync(context);
                return;
            }

            message.Content = new ByteArrayContent(body.ToArray());
            if (request.ContentType is { } type)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            context.Response.Headers.RetryAfter = "5";
            await Problems.Of(ErrorCode.RelayUnavailable, "The media relay does not answer.").ExecuteAsync(context);
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var name in ResponseHeaders)
            {
                if (response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            if (response.Content.Headers.ContentType is { } contentType)
            {
                context.Response.ContentType = contentType.ToString();
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }
}
