using Lilium.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lilium.Api.Infrastructure;

/// <summary>
/// RFC 9457 problem details with a stable machine-readable <c>code</c> extension from the protocol's error table
/// (which also gives the status); the title is the status's reason phrase and the detail says what to do.
/// </summary>
internal static class Problems
{
    public static ProblemHttpResult Of(ErrorCode code, string detail) => Create(code.HttpStatus(), code.WireName(), detail);

    /// <summary>
    /// No relay is live for the session yet (relay fleet): 503 <c>relay-starting</c> with <c>Retry-After: 1</c> and the
    /// <c>etaSeconds</c> extension.
    /// </summary>
    public static ProblemHttpResult RelayStarting(HttpContext context, int etaSeconds)
    {
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(
            detail: $"A media relay is starting for this session (about {etaSeconds} s); retry in a second.",
            statusCode: ErrorCode.RelayStarting.HttpStatus(),
            extensions: new Dictionary<string, object?> { ["code"] = ErrorCode.RelayStarting.WireName(), ["etaSeconds"] = etaSeconds });
    }

    private static ProblemHttpResult Create(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });
}
