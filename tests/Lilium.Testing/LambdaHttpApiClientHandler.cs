using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lilium.Testing;

/// <summary>
/// Plays API Gateway HTTP API in front of a function running against a <see cref="LambdaRuntimeEmulator"/>:
/// each <see cref="HttpRequestMessage"/> becomes a payload-2.0 event (lower-case headers, duplicates
/// comma-joined, <c>Cookie</c> split into <c>cookies[]</c>, non-text bodies base64) and the function's
/// answer becomes the <see cref="HttpResponseMessage"/> (<c>cookies[]</c> → <c>Set-Cookie</c>; a bare
/// JSON answer → 200 <c>application/json</c>; a function error → 502, as API Gateway does).
/// Use: <c>new HttpClient(new LambdaHttpApiClientHandler(emulator)) { BaseAddress = new("https://api.test") }</c>.
/// </summary>
public sealed class LambdaHttpApiClientHandler(LambdaRuntimeEmulator emulator, string stage = "$default") : HttpMessageHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var result = await emulator.InvokeAsync(BuildEvent(request, body), cancellationToken: cancellationToken);
        if (result.IsError)
        {
            return new HttpResponseMessage(HttpStatusCode.BadGateway)
            {
                RequestMessage = request,
                Content = new StringContent("{\"message\":\"Internal Server Error\"}", Encoding.UTF8, "application/json"),
            };
        }

        return ParseResponse(request, result.Payload);
    }

    private byte[] BuildEvent(HttpRequestMessage request, byte[] body)
    {
        var uri = request.RequestUri ?? throw new ArgumentException("The request has no URI.", nameof(request));
        var headers = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string name, IEnumerable<string> values)
        {
            var key = name.ToLowerInvariant();
            if (!headers.TryGetValue(key, out var list))
            {
                headers[key] = list = [];
            }

            list.AddRange(values);
        }

        foreach (var h in request.Headers)
        {
            Add(h.Key, h.Value);
        }

        if (request.Content is not null)
        {
            foreach (var h in request.Content.Headers)
            {
                Add(h.Key, h.Value);
            }
        }

        Add("host", [uri.Authority]);
        Add("x-forwarded-proto", [uri.Scheme]);
        Add("x-forwarded-port", [uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Add("x-forwarded-for", ["127.0.0.1"]);
        var cookies = headers.Remove("cookie", out var cookieValues)
            ? cookieValues.SelectMany(v => v.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray()
            : [];

        var contentType = request.Content?.Headers.ContentType?.MediaType ?? "";
        var isText = contentType.StartsWith("text/", StringComparison.Ordinal) || contentType.Contains("json", StringComparison.Ordinal) || contentType.Contains("xml", StringComparison.Ordinal);
        var rawPath = (stage == "$default" ? "" : "/" + stage) + uri.AbsolutePath;
        var now = DateTimeOffset.UtcNow;

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", "2.0");
            json.WriteString("routeKey", "$default");
            json.WriteString("rawPath", rawPath);
            json.WriteString("rawQueryString", uri.Query.TrimStart('?'));
            if (cookies.Length > 0)
            {
                json.WriteStartArray("cookies");
                foreach (var c in cookies)
                {
                    json.WriteStringValue(c);
                }

                json.WriteEndArray();
            }

            json.WriteStartObject("headers");
            foreach (var (name, values) in headers)
            {
                json.WriteString(name, string.Join(',', values));
            }

            json.WriteEndObject();
            json.WriteStartObject("requestContext");
            json.WriteString("accountId", "000000000000");
            json.WriteString("apiId", "local");
            json.WriteString("domainName", uri.Host);
            json.WriteStartObject("http");
            json.WriteString("method", request.Method.Method);
            json.WriteString("path", rawPath);
            json.WriteString("protocol", "HTTP/1.1");
            json.WriteString("sourceIp", "127.0.0.1");
            json.WriteString("userAgent", request.Headers.UserAgent.ToString());
            json.WriteEndObject();
            json.WriteString("requestId", Guid.NewGuid().ToString("N"));
            json.WriteString("routeKey", "$default");
            json.WriteString("stage", stage);
            json.WriteNumber("timeEpoch", now.ToUnixTimeMilliseconds());
            json.WriteEndObject();
            if (body.Length > 0)
            {
                json.WriteString("body", isText ? Encoding.UTF8.GetString(body) : Convert.ToBase64String(body));
            }

            json.WriteBoolean("isBase64Encoded", body.Length > 0 && !isText);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static HttpResponseMessage ParseResponse(HttpRequestMessage request, byte[] payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("statusCode", out var status))
        {
            // Payload 2.0: an answer without statusCode is the body itself, 200 application/json.
            return new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = request, Content = new ByteArrayContent(payload) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } } };
        }

        var body = root.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "";
        var isBase64 = root.TryGetProperty("isBase64Encoded", out var e) && e.ValueKind == JsonValueKind.True;
        var response = new HttpResponseMessage((HttpStatusCode)status.GetInt32())
        {
            RequestMessage = request,
            Content = new ByteArrayContent(isBase64 ? Convert.FromBase64String(body) : Encoding.UTF8.GetBytes(body)),
        };
        if (root.TryGetProperty("headers", out var headers) && headers.ValueKind == JsonValueKind.Object)
        {
            foreach (var h in headers.EnumerateObject())
            {
                var value = h.Value.ToString();
                if (!response.Headers.TryAddWithoutValidation(h.Name, value))
                {
                    response.Content.Headers.TryAddWithoutValidation(h.Name, value);
                }
            }
        }

        if (root.TryGetProperty("cookies", out var cookies) && cookies.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in cookies.EnumerateArray())
            {
                response.Headers.TryAddWithoutValidation("Set-Cookie", c.GetString());
            }
        }

        return response;
    }
}
