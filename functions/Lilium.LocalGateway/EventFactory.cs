using System.Globalization;
using System.Text.Json;
using Lilium.Lambda.Events;
using Microsoft.AspNetCore.Http;

namespace Lilium.LocalGateway;

/// <summary>Builds API Gateway WebSocket proxy events (REFERENCE.md B1) from the HTTP upgrade and frames.</summary>
public sealed class EventFactory(GatewayOptions options, TimeProvider time)
{
    private const string ApiId = "local";

    // With no route besides $default (the usual deployment) every message goes there: no need to parse the body.
    private readonly bool _selectsRoutes = options.Routes.Any(r => r != "$default");

    public WebSocketEvent Connect(HttpContext http, GatewayConnection c) => new()
    {
        Headers = http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
        MultiValueHeaders = http.Request.Headers.ToDictionary(h => h.Key, h => (IReadOnlyList<string>)[.. h.Value.Select(v => v ?? "")], StringComparer.OrdinalIgnoreCase),
        QueryStringParameters = http.Request.Query.Count == 0 ? null : http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
        MultiValueQueryStringParameters = http.Request.Query.Count == 0 ? null : http.Request.Query.ToDictionary(q => q.Key, q => (IReadOnlyList<string>)[.. q.Value.Select(v => v ?? "")]),
        RequestContext = Context(c, "$connect", WebSocketEventType.Connect, http.Request.Host.Value ?? ""),
        IsBase64Encoded = false,
    };

    public WebSocketEvent Message(GatewayConnection c, string body, string host) => new()
    {
        Body = body,
        RequestContext = Context(c, RouteOf(body), WebSocketEventType.Message, host) with { MessageId = Id() },
        IsBase64Encoded = false,
    };

    public WebSocketEvent Disconnect(GatewayConnection c, int statusCode, string reason, string host) => new()
    {
        RequestContext = Context(c, "$disconnect", WebSocketEventType.Disconnect, host) with { DisconnectStatusCode = statusCode, DisconnectReason = reason },
        IsBase64Encoded = false,
    };

    /// <summary>Route selection <c>$request.body.action</c>: the exact route key when deployed, else <c>$default</c>.</summary>
    public string RouteOf(string body)
    {
        if (!_selectsRoutes)
        {
            return "$default";
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("action", out var a) && a.ValueKind == JsonValueKind.String
                && a.GetString() is { } action && options.Routes.Contains(action))
            {
                return action;
            }
        }
        catch (JsonException)
        {
        }

        return "$default";
    }

    public static string NewConnectionId()
    {
        // API Gateway ids look like "L0SM9cOFvHcCIhw=": base64 of 10 random bytes.
        Span<byte> bytes = stackalloc byte[10];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes);
    }

    private WebSocketRequestContext Context(GatewayConnection c, string routeKey, string eventType, string host)
    {
        var now = time.GetUtcNow();
        return new WebSocketRequestContext
        {
            RouteKey = routeKey,
            EventType = eventType,
            ConnectionId = c.Id,
            DomainName = host,
            Stage = options.Stage,
            ApiId = ApiId,
            RequestId = Id(),
            ExtendedRequestId = Id(),
            RequestTime = now.ToString("dd/MMM/yyyy:HH:mm:ss '+0000'", CultureInfo.InvariantCulture),
            RequestTimeEpoch = now.ToUnixTimeMilliseconds(),
            MessageDirection = "IN",
            ConnectedAt = c.ConnectedAt.ToUnixTimeMilliseconds(),
            Identity = new WebSocketIdentity { SourceIp = c.SourceIp, UserAgent = c.UserAgent },
        };
    }

    private static string Id()
    {
        // 16 base64 characters of 12 random bytes, no padding (API Gateway's request ids look alike).
        Span<byte> bytes = stackalloc byte[12];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes);
    }
}
