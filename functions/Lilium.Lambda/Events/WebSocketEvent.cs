namespace Lilium.Lambda.Events;

/// <summary>
/// An API Gateway WebSocket API proxy event (REFERENCE B1). Headers and query strings, including the
/// multi-value forms, arrive on <c>$connect</c> only; messages carry <see cref="Body"/> and
/// <see cref="IsBase64Encoded"/>.
/// </summary>
public sealed record WebSocketEvent
{
    public WebSocketRequestContext? RequestContext { get; init; }

    public string? Body { get; init; }

    public bool IsBase64Encoded { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyDictionary<string, IReadOnlyList<string>>? MultiValueHeaders { get; init; }

    public IReadOnlyDictionary<string, string>? QueryStringParameters { get; init; }

    public IReadOnlyDictionary<string, IReadOnlyList<string>>? MultiValueQueryStringParameters { get; init; }

    public IReadOnlyDictionary<string, string>? StageVariables { get; init; }
}
