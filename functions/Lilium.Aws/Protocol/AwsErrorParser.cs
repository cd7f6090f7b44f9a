using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lilium.Aws.Protocol;

/// <summary>
/// Reads an AWS error answer (JSON 1.1 and REST-JSON alike). The code comes from the
/// <c>X-Amzn-ErrorType</c> header, else the body's <c>__type</c>, else <c>code</c>; in each, drop what
/// follows <c>:</c> and what precedes <c>#</c> (smithy aws-json protocol). Never throws on odd bodies.
/// </summary>
internal static class AwsErrorParser
{
    public static AwsServiceException Parse(AwsService service, HttpStatusCode status, HttpResponseHeaders headers, ReadOnlySpan<byte> body)
    {
        string? type = headers.TryGetValues("X-Amzn-ErrorType", out var values) ? values.FirstOrDefault() : null;
        string? message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var name = reader.GetString();
                    reader.Read();
                    var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                    {
                        reader.Skip();
                    }

                    switch (name)
                    {
                        case "__type" or "code" or "Code" when type is null:
                            type = value;
                            break;
                        case "message" or "Message" or "errorMessage":
                            message = value;
                            break;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: the Query protocol's XML (<ErrorResponse><Error><Code/><Message/>), or a proxy's HTML page.
            (type, message) = TryParseXml(body, type);
        }

        var code = Normalize(type) ?? status.ToString();
        message ??= body.IsEmpty ? "(no body)" : Truncate(Encoding.UTF8.GetString(body));
        var requestId = headers.TryGetValues("x-amzn-RequestId", out var ids) ? ids.FirstOrDefault() : null;
        return new AwsServiceException(service.SigningName, code, status, message, requestId);
    }

    /// <summary><c>aws.protocoltests#FooError:http://internal/</c> → <c>FooError</c>.</summary>
    private static (string? Type, string? Message) TryParseXml(ReadOnlySpan<byte> body, string? type)
    {
        try
        {
            var root = System.Xml.Linq.XDocument.Parse(Encoding.UTF8.GetString(body)).Root;
            string? Find(string name) => root?.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
            return (type ?? Find("Code"), Find("Message"));
        }
        catch (System.Xml.XmlException)
        {
            return (type, null);
        }
    }

    internal static string? Normalize(string? type)
    {
        if (string.IsNullOrWhiteSpace(type))
        {
            return null;
        }

        var colon = type.IndexOf(':');
        if (colon >= 0)
        {
            type = type[..colon];
        }

        var hash = type.LastIndexOf('#');
        if (hash >= 0)
        {
            type = type[(hash + 1)..];
        }

        type = type.Trim();
        return type.Length == 0 ? null : type;
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "…";
}
