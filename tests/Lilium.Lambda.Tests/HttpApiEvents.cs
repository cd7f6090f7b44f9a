using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lilium.Lambda.Tests;

/// <summary>HTTP API payload 2.0 events as API Gateway sends them (shape of the AWS documentation's example).</summary>
internal static class HttpApiEvents
{
    public static string Request(
        string method,
        string rawPath,
        string rawQueryString = "",
        IReadOnlyDictionary<string, string>? headers = null,
        string? body = null,
        bool base64 = false,
        string[]? cookies = null,
        string stage = "$default")
    {
        var h = new JsonObject
        {
            ["accept"] = "*/*",
            ["host"] = "abc123.execute-api.us-east-1.amazonaws.com",
            ["user-agent"] = "curl/8.5.0",
            ["x-forwarded-for"] = "198.51.100.7",
            ["x-forwarded-port"] = "443",
            ["x-forwarded-proto"] = "https",
        };
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            h[k] = v;
        }

        var e = new JsonObject
        {
            ["version"] = "2.0",
            ["routeKey"] = "$default",
            ["rawPath"] = rawPath,
            ["rawQueryString"] = rawQueryString,
            ["headers"] = h,
            ["requestContext"] = new JsonObject
            {
                ["accountId"] = "000000000000",
                ["apiId"] = "abc123",
                ["domainName"] = "abc123.execute-api.us-east-1.amazonaws.com",
                ["domainPrefix"] = "abc123",
                ["http"] = new JsonObject
                {
                    ["method"] = method,
                    ["path"] = rawPath,
                    ["protocol"] = "HTTP/1.1",
                    ["sourceIp"] = "198.51.100.7",
                    ["userAgent"] = "curl/8.5.0",
                },
                ["requestId"] = "JKJaXmPLvHcESHA=",
                ["routeKey"] = "$default",
                ["stage"] = stage,
                ["time"] = "22/Nov/2026:11:00:00 +0000",
                ["timeEpoch"] = 1795345200000,
            },
            ["isBase64Encoded"] = base64,
        };
        if (cookies is not null)
        {
            e["cookies"] = new JsonArray(cookies.Select(c => (JsonNode)c!).ToArray());
        }

        if (body is not null)
        {
            e["body"] = body;
        }

        return e.ToJsonString();
    }

    public static HttpApiResponse Parse(byte[] payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var r = doc.RootElement;
        var headers = r.TryGetProperty("headers", out var hs) && hs.ValueKind == JsonValueKind.Object
            ? hs.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var cookies = r.TryGetProperty("cookies", out var cs) && cs.ValueKind == JsonValueKind.Array ? cs.EnumerateArray().Select(c => c.GetString()!).ToArray() : [];
        var isBase64 = r.TryGetProperty("isBase64Encoded", out var b) && b.GetBoolean();
        var body = r.TryGetProperty("body", out var bd) && bd.ValueKind == JsonValueKind.String ? bd.GetString() : null;
        return new HttpApiResponse(r.GetProperty("statusCode").GetInt32(), headers, cookies, body, isBase64);
    }
}

internal sealed record HttpApiResponse(int StatusCode, IReadOnlyDictionary<string, string> Headers, string[] Cookies, string? Body, bool IsBase64Encoded)
{
    public byte[] BodyBytes => Body is null ? [] : IsBase64Encoded ? Convert.FromBase64String(Body) : System.Text.Encoding.UTF8.GetBytes(Body);
}
