namespace Lilium.Lambda.Events;

/// <summary>
/// A WebSocket route's answer. For <c>$connect</c>, 2xx accepts the connection (it may add
/// <c>Sec-WebSocket-Protocol</c>), anything else rejects it.
/// </summary>
public sealed record WebSocketResponse
{
    public int StatusCode { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public string? Body { get; init; }

    public bool IsBase64Encoded { get; init; }

    public static WebSocketResponse Ok { get; } = new() { StatusCode = 200 };
}
