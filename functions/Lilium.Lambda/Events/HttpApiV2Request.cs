namespace Lilium.Lambda.Events;

/// <summary>
/// An API Gateway HTTP API event, payload format 2.0 (http-api-develop-integrations-lambda.md):
/// headers lower-case with duplicates comma-joined, cookies apart, the body base64 when binary.
/// </summary>
public sealed record HttpApiV2Request
{
    public string? Version { get; init; }

    public string? RouteKey { get; init; }

    public string? RawPath { get; init; }

    public string? RawQueryString { get; init; }

    public IReadOnlyList<string>? Cookies { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public IReadOnlyDictionary<string, string>? QueryStringParameters { get; init; }

    public IReadOnlyDictionary<string, string>? PathParameters { get; init; }

    public IReadOnlyDictionary<string, string>? StageVariables { get; init; }

    public HttpApiV2RequestContext? RequestContext { get; init; }

    public string? Body { get; init; }

    public bool IsBase64Encoded { get; init; }
}
