using System.Net;
using System.Text;
using Lilium.Lambda.Events;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Lilium.Lambda.AspNetCore;

/// <summary>
/// Translates between HTTP API 2.0 payloads and the request/response features
/// (http-api-develop-integrations-lambda.md).
/// </summary>
internal static class HttpApiV2Mapper
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Fills the request side. Returns false (with a reason) for an event that is not an HTTP API 2.0 request.</summary>
    public static bool TryApplyRequest(HttpApiV2Request e, LambdaHttpFeatures f, out string? problem)
    {
        problem = null;
        var http = e.RequestContext?.Http;
        if (http?.Method is not { Length: > 0 } method)
        {
            problem = "The event has no requestContext.http.method: not an HTTP API payload 2.0 event.";
            return false;
        }

        byte[] body;
        try
        {
            body = e.Body is null ? [] : e.IsBase64Encoded ? Convert.FromBase64String(e.Body) : Encoding.UTF8.GetBytes(e.Body);
        }
        catch (FormatException)
        {
            problem = "The event's body is marked base64 but is not.";
            return false;
        }

        f.Method = method;
        f.Protocol = http.Protocol is { Length: > 0 } p ? p : "HTTP/1.1";

        // rawPath keeps the stage prefix of a named stage (/prod/v1/…); expose it as PathBase.
        var rawPath = e.RawPath is { Length: > 0 } rp ? rp : http.Path is { Length: > 0 } hp ? hp : "/";
        var stage = e.RequestContext?.Stage;
        if (stage is { Length: > 0 } && stage != "$default" && IsUnder(rawPath, "/" + stage))
        {
            f.PathBase = "/" + stage;
            rawPath = rawPath.Length == stage.Length + 1 ? "/" : rawPath[(stage.Length + 1)..];
        }

        f.Path = PathString.FromUriComponent(rawPath).Value ?? "/";
        f.QueryString = string.IsNullOrEmpty(e.RawQueryString) ? "" : "?" + e.RawQueryString;
        f.RawTarget = f.PathBase + rawPath + f.QueryString;

        var headers = f.RequestHeaders;
        if (e.Headers is not null)
        {
            foreach (var (name, value) in e.Headers)
            {
                headers[name] = value;
            }
        }

        if (e.Cookies is { Count: > 0 } cookies)
        {
            headers.Cookie = string.Join("; ", cookies);
        }

        if (body.Length > 0 || headers.ContentLength is not null)
        {
            headers.ContentLength = body.Length;
        }

        f.Scheme = headers["x-forwarded-proto"] is { Count: > 0 } proto && proto[0] is "http" or "https" ? proto[0]! : "https";
        f.LocalPort = int.TryParse(headers["x-forwarded-port"], out var port) ? port : 443;
        f.RemoteIpAddress = IPAddress.TryParse(http.SourceIp, out var ip) ? ip : null;
        f.TraceIdentifier = e.RequestContext?.RequestId ?? f.TraceIdentifier;
        f.ConnectionId = f.TraceIdentifier;
        f.SetRequestBody(body);
        return true;
    }

    /// <summary>The response payload: Set-Cookie values become <c>cookies</c>, other repeats are comma-joined; text stays text.</summary>
    public static HttpApiV2Response BuildResponse(LambdaHttpFeatures f, ReadOnlyMemory<byte> body)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        List<string>? cookies = null;
        foreach (var (name, values) in f.ResponseHeaders)
        {
            if (string.Equals(name, "Set-Cookie", StringComparison.OrdinalIgnoreCase))
            {
                (cookies ??= []).AddRange(values.Where(v => v is not null)!);
                continue;
            }

            headers[name] = values.ToString();
        }

        string? text = null;
        if (!body.IsEmpty && IsText(f.ResponseHeaders.ContentType))
        {
            try
            {
                text = StrictUtf8.GetString(body.Span);
            }
            catch (DecoderFallbackException)
            {
                // Declared text, but not UTF-8: send the bytes untouched.
            }
        }

        return new HttpApiV2Response
        {
            StatusCode = f.StatusCode,
            Headers = headers,
            Cookies = cookies,
            Body = body.IsEmpty ? null : text ?? Convert.ToBase64String(body.Span),
            IsBase64Encoded = !body.IsEmpty && text is null,
        };
    }

    private static bool IsUnder(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] == '/');

    private static bool IsText(StringValues contentType)
    {
        var value = contentType.ToString();
        if (value.Length == 0)
        {
            return false;
        }

        var semi = value.IndexOf(';');
        var media = (semi < 0 ? value : value[..semi]).Trim().ToLowerInvariant();
        return media.StartsWith("text/", StringComparison.Ordinal)
            || media is "application/json" or "application/xml" or "application/javascript" or "application/x-www-form-urlencoded" or "image/svg+xml"
            || media.EndsWith("+json", StringComparison.Ordinal)
            || media.EndsWith("+xml", StringComparison.Ordinal);
    }
}
