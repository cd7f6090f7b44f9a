using Lilium.Data;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Lilium.Protocol;

namespace Lilium.Api.Infrastructure;

/// <summary>
/// The one place that turns exceptions into problem details: a request the framework could not
/// read keeps its 4xx (400 bad JSON, 413 too large, 415 wrong type); an unreachable database is a
/// 503 with Retry-After; anything else is a 500 without internals.
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems, ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait before retrying when the database is unavailable.</summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        int status;
        string code;
        string detail;
        switch (exception)
        {
            case BadHttpRequestException bad:
                status = bad.StatusCode;
                (code, detail) = status switch
                {
                    StatusCodes.Status413PayloadTooLarge => (ErrorCode.TooLarge.WireName(), $"Request bodies are limited to {ApiSettings.MaxRequestBodyBytes} bytes."),
                    StatusCodes.Status415UnsupportedMediaType => (ErrorCode.UnsupportedMediaType.WireName(), "Send the body as application/json."),
                    _ => (ErrorCode.MalformedRequest.WireName(), DescribeBadRequest(bad)),
                };
                break;
            case var e when PostgresErrors.IsUnavailable(e):
                logger.LogWarning(e, "Database unavailable (request {RequestId})", context.TraceIdentifier);
                status = StatusCodes.Status503ServiceUnavailable;
                code = ErrorCode.DatabaseUnavailable.WireName();
                detail = "The database is unavailable; retry later.";
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                status = 499; // The client went away; nobody reads this.
                code = ErrorCode.ClientClosedRequest.WireName();
                detail = "The client closed the request.";
                break;
            default:
                logger.LogError(exception, "Unhandled exception (request {RequestId})", context.TraceIdentifier);
                status = StatusCodes.Status500InternalServerError;
                code = ErrorCode.InternalError.WireName();
                detail = "An unexpected error occurred.";
                break;
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Detail = detail, Extensions = { ["code"] = code } },
        });
    }

    /// <summary>The framework's message names the parameter and the JSON path; the inner exception text is not echoed.</summary>
    private static string DescribeBadRequest(BadHttpRequestException e) =>
        e.InnerException is System.Text.Json.JsonException json
            ? $"The body is not valid JSON for this request{(json.Path is { Length: > 0 } path ? $" (at {path})" : "")}."
            : e.Message;
}
