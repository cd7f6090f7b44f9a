namespace Lilium.Relay.Http;

/// <summary>RFC 9457 problem details for every error the WHIP/WHEP endpoints return.</summary>
internal static class Problems
{
    public static IResult Of(int status, string title, string detail, string type, IReadOnlyDictionary<string, string>? headers = null) =>
        new ProblemWithHeaders(Results.Problem(detail: detail, statusCode: status, title: title, type: "urn:lilium:relay:problem:" + type), headers);

    public static IResult UnsupportedMediaType(string expected) =>
        Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", $"Send the body as {expected}.", "unsupported-media-type");

    public static IResult BadSdp(string detail) => Of(StatusCodes.Status400BadRequest, "Bad SDP", detail, "bad-sdp");

    public static IResult NotFound(string what) => Of(StatusCodes.Status404NotFound, "Not found", what, "not-found");

    public static IResult Unauthorized(string detail) =>
        Of(StatusCodes.Status401Unauthorized, "Unauthorized", detail, "unauthorized", new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer" });

    public static IResult Forbidden(string detail) => Of(StatusCodes.Status403Forbidden, "Forbidden", detail, "forbidden");

    public static IResult Draining() =>
        Of(StatusCodes.Status503ServiceUnavailable, "Draining", "This relay is shutting down; retry on another.", "draining", new Dictionary<string, string> { ["Retry-After"] = "5" });

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
