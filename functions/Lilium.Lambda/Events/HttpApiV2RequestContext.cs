namespace Lilium.Lambda.Events;

/// <summary><c>requestContext</c> of an HTTP API 2.0 event.</summary>
public sealed record HttpApiV2RequestContext
{
    public string? AccountId { get; init; }

    public string? ApiId { get; init; }

    public string? DomainName { get; init; }

    public string? DomainPrefix { get; init; }

    public HttpApiV2Http? Http { get; init; }

    public string? RequestId { get; init; }

    public string? RouteKey { get; init; }

    public string? Stage { get; init; }

    public string? Time { get; init; }

    /// <summary>Epoch milliseconds.</summary>
    public long TimeEpoch { get; init; }
}
