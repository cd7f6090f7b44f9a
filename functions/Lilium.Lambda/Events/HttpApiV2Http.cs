namespace Lilium.Lambda.Events;

/// <summary><c>requestContext.http</c> of an HTTP API 2.0 event.</summary>
public sealed record HttpApiV2Http
{
    public string? Method { get; init; }

    public string? Path { get; init; }

    public string? Protocol { get; init; }

    public string? SourceIp { get; init; }

    public string? UserAgent { get; init; }
}
