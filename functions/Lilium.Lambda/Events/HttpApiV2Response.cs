namespace Lilium.Lambda.Events;

/// <summary>
/// What an HTTP API 2.0 integration returns: status, headers (one string each, comma-joined),
/// <c>cookies</c> (each <c>Set-Cookie</c> apart), and the body as text or base64.
/// </summary>
public sealed record HttpApiV2Response
{
    public int StatusCode { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyList<string>? Cookies { get; init; }

    public string? Body { get; init; }

    public bool IsBase64Encoded { get; init; }
}
