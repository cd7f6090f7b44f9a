namespace Lilium.Lambda.Events;

/// <summary><c>requestContext</c> of a WebSocket event.</summary>
public sealed record WebSocketRequestContext
{
    /// <summary><c>$connect</c>, <c>$disconnect</c>, <c>$default</c> or a custom route.</summary>
    public string? RouteKey { get; init; }

    /// <summary><c>CONNECT</c>, <c>MESSAGE</c> or <c>DISCONNECT</c>; see <see cref="WebSocketEventType"/>.</summary>
    public string? EventType { get; init; }

    public string? ConnectionId { get; init; }

    public string? DomainName { get; init; }

    public string? Stage { get; init; }

    public string? ApiId { get; init; }

    public string? RequestId { get; init; }

    public string? ExtendedRequestId { get; init; }

    public string? RequestTime { get; init; }

    public string? MessageDirection { get; init; }

    /// <summary>Epoch milliseconds.</summary>
    public long ConnectedAt { get; init; }

    /// <summary>Epoch milliseconds.</summary>
    public long RequestTimeEpoch { get; init; }

    /// <summary>On MESSAGE only.</summary>
    public string? MessageId { get; init; }

    public WebSocketIdentity? Identity { get; init; }

    /// <summary>On DISCONNECT only: the close code (e.g. 1001), when known.</summary>
    public int? DisconnectStatusCode { get; init; }

    /// <summary>On DISCONNECT only.</summary>
    public string? DisconnectReason { get; init; }
}
