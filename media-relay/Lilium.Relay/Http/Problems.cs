using Lilium.Protocol;

namespace Lilium.Relay.Http;

/// <summary>
/// RFC 9457 problem details for every error the WHIP/WHEP endpoints return, in the style the REST API uses: status and
/// title from the protocol's error table, a machine-readable <c>code</c>, and the detail saying what to do.
/// </summary>
internal static class Problems
{
    public static IResult Of(ErrorCode code, string detail, IReadOnlyDictionary<string, string>? headers = null, int? status = null)
    {
        var row = code.Info();
        return new ProblemWithHeaders(Results.Problem(detail: detail, statusCode: status ?? row.Status, title: row.Title, type: "urn:lilium:relay:problem:" + row.Name,
            extensions: new Dictionary<string, object?> { ["code"] = row.Name }), headers);
    }

    public static IResult UnsupportedMediaType(string expected) => Of(ErrorCode.UnsupportedMediaType, $"Send the body as {expected}.");

    public static IResult BadSdp(string detail) => Of(ErrorCode.BadSdp, detail);

    public static IResult NotFound(string what) => Of(ErrorCode.NotFound, what);

    public static IResult Unauthorized(string detail) =>
        Of(ErrorCode.Unauthenticated, detail, new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer" });

    public static IResult Forbidden(string detail) => Of(ErrorCode.Forbidden, detail);

    public static IResult Draining() =>
        Of(ErrorCode.Draining, "This relay is shutting down; retry on another.", new Dictionary<string, string> { ["Retry-After"] = "5" });

    /// <summary>
    /// 503 <c>relay-unavailable</c> + <c>Retry-After: 1</c> (FLEET-CONTRACT §3): the relay owning the session is not live,
    /// or this relay cannot serve yet (no address learned). 503, not the code's 502 (the API's forwarding): the
    /// answer is this service's own, and the client retries.
    /// </summary>
    public static IResult Unavailable(string detail) =>
        Of(ErrorCode.RelayUnavailable, detail, new Dictionary<string, string> { ["Retry-After"] = "1" }, StatusCodes.Status503ServiceUnavailable);

    /// <summary>Wraps a result to add response headers (Retry-After, WWW-Authenticate).</summary>
    private sealed class ProblemWithHeaders(IResult inner, IReadOnlyDictionary<string, string>? headers) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (headers is not null)
            {
                foreach (var (name, value) in headers)
                {
                    httpContext.Response.Headers[name] = value;
                }
            }

            return inner.ExecuteAsync(httpContext);
        }
    }
}
