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

    private static ProblemHttpResult Create(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });
}
