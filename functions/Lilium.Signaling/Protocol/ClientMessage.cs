using System.Text.Json;

namespace Lilium.Signaling.Protocol;

/// <summary>
/// A parsed client message: <c>{"v":1,"action":"…","id":"…", …}</c>. Parsing never throws:
/// <see cref="TryParse"/> reports the error code to send back instead.
/// </summary>
public sealed class ClientMessage
{
    public const int CurrentVersion = 1;
    private const int MaxIdLength = 64;

    private ClientMessage(string action, string? id, JsonElement root)
    {
        Action = action;
        Id = id;
        Root = root;
    }

    public string Action { get; }

    /// <summary>Client-chosen correlation id, echoed on the response or error.</summary>
    public string? Id { get; }

    public JsonElement Root { get; }

    public static bool TryParse(ReadOnlySpan<byte> utf8, out ClientMessage? message, out string? errorCode, out string? errorId)
    {
        message = null;
        errorId = null;
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
            if (!JsonDocument.TryParseValue(ref reader, out var parsed))
            {
                errorCode = ErrorCode.BadJson;
                return false;
            }

            document = parsed;
        }
        catch (JsonException)
        {
            errorCode = ErrorCode.BadJson;
            return false;
        }

        // Clone detaches the element from the pooled document so it can be disposed here.
        JsonElement root;
        using (document)
        {
            root = document.RootElement.Clone();
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            errorCode = ErrorCode.BadJson;
            return false;
        }

        errorId = TryString(root, "id") is { Length: <= MaxIdLength } id ? id : null;
        if (root.TryGetProperty("v", out var v) && (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != CurrentVersion))
        {
            errorCode = ErrorCode.UnsupportedVersion;
            return false;
        }

        if (TryString(root, "action") is not { Length: > 0 and <= 32 } action)
        {
            errorCode = ErrorCode.BadRequest;
            return false;
        }

        message = new ClientMessage(action, errorId, root);
        errorCode = null;
        return true;
    }

    public string? String(string name) => TryString(Root, name);

    public bool Has(string name) => Root.TryGetProperty(name, out _);

    public bool TryGuid(string name, out Guid value)
    {
        value = default;
        return String(name) is { } s && Guid.TryParse(s, out value);
    }

    private static string? TryString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
