namespace Lilium.Lambda.Events;

/// <summary><c>requestContext.identity</c> of a WebSocket event.</summary>
public sealed record WebSocketIdentity
{
    public string? SourceIp { get; init; }

    public string? UserAgent { get; init; }
}
