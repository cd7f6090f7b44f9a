using Microsoft.AspNetCore.Http.HttpResults;

namespace Lilium.Api.Infrastructure;

/// <summary>
/// RFC 9457 problem details with a stable machine-readable <c>code</c> extension; the title is the
/// status's reason phrase and the detail says what to do.
/// </summary>
internal static class Problems
{
    public static ProblemHttpResult BadRequest(string code, string detail) => Create(StatusCodes.Status400BadRequest, code, detail);

    public static ProblemHttpResult Unauthorized(string code, string detail) => Create(StatusCodes.Status401Unauthorized, code, detail);

    public static ProblemHttpResult Forbidden(string code, string detail) => Create(StatusCodes.Status403Forbidden, code, detail);

    public static ProblemHttpResult NotFound(string code, string detail) => Create(StatusCodes.Status404NotFound, code, detail);

    public static ProblemHttpResult Conflict(string code, string detail) => Create(StatusCodes.Status409Conflict, code, detail);

    public static ProblemHttpResult Gone(string code, string detail) => Create(StatusCodes.Status410Gone, code, detail);

    public static ProblemHttpResult Create(int status, string code, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, extensions: new Dictionary<string, object?> { ["code"] = code });
}
