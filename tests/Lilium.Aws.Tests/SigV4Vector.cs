using System.Globalization;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;

namespace Lilium.Aws.Tests;

/// <summary>One case of the aws-c-auth v4 suite, parsed from its folder.</summary>
internal sealed record SigV4Vector(
    string Method,
    string Target,
    IReadOnlyList<(string Name, string Value)> Headers,
    byte[] Body,
    ImmutableCredentials Credentials,
    string Region,
    string Service,
    DateTimeOffset Timestamp,
    string ExpectedCanonicalRequest,
    string ExpectedAuthorization)
{
    public static SigV4Vector Load(string dir)
    {
        using var context = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "context.json")));
        var root = context.RootElement;
        var creds = root.GetProperty("credentials");
        var token = creds.TryGetProperty("token", out var t) ? t.GetString() : null;

        var (method, target, headers, body) = ParseHttp(File.ReadAllText(Path.Combine(dir, "request.txt")));
        var signed = ParseHttp(File.ReadAllText(Path.Combine(dir, "header-signed-request.txt")));
        var authorization = signed.Headers.Single(h => h.Name.Equals("Authorization", StringComparison.OrdinalIgnoreCase)).Value;

        return new SigV4Vector(
            method,
            target,
            headers,
            body,
            new ImmutableCredentials(creds.GetProperty("access_key_id").GetString(), creds.GetProperty("secret_access_key").GetString(), token),
            root.GetProperty("region").GetString()!,
            root.GetProperty("service").GetString()!,
            DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture),
            File.ReadAllText(Path.Combine(dir, "header-canonical-request.txt")),
            authorization);
    }

    public HttpRequestMessage ToHttpRequest()
    {
        var host = Headers.First(h => h.Name.Equals("Host", StringComparison.OrdinalIgnoreCase)).Value;
        var request = new HttpRequestMessage(new HttpMethod(Method), new Uri("https://" + host + Target, UriKind.Absolute));
        if (Body.Length > 0 || Headers.Any(h => h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            request.Content = new ByteArrayContent(Body);
        }

        foreach (var (name, value) in Headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content!.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        return request;
    }

    private static (string Method, string Target, List<(string Name, string Value)> Headers, byte[] Body) ParseHttp(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var requestLine = lines[0];
        var method = requestLine[..requestLine.IndexOf(' ')];
        var target = requestLine[(method.Length + 1)..requestLine.LastIndexOf(" HTTP/", StringComparison.Ordinal)];
        var headers = new List<(string, string)>();
        var i = 1;
        for (; i < lines.Length && lines[i].Length > 0; i++)
        {
            if (char.IsWhiteSpace(lines[i][0]) && headers.Count > 0)
            {
                var (n, v) = headers[^1];
                headers[^1] = (n, v + "\n" + lines[i]);
                continue;
            }

            var colon = lines[i].IndexOf(':');
            headers.Add((lines[i][..colon], lines[i][(colon + 1)..]));
        }

        var body = i + 1 < lines.Length ? string.Join("\n", lines[(i + 1)..]) : "";
        return (method, target, headers, Encoding.UTF8.GetBytes(body));
    }
}
