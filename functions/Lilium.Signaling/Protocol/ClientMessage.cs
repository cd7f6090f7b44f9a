using System.Text.Json;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;

namespace Lilium.Signaling.Protocol;

/// <summary>
/// The envelope of a client message, <c>{"v":1,"action":"…","id":"…", …}</c>; the fields of each action are read
/// into its <see cref="ToServer"/> record with <see cref="SignalingJson.TryRead"/>. Parsing never throws:
/// <see cref="TryParse"/> reports the error code to send back instead. The message owns the parsed document (its
/// buffers are pooled); dispose it once the message has been handled.
/// </summary>
public sealed class ClientMessage : IDisposable
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 8 };

    private readonly JsonDocument _document;

    private ClientMessage(string action, string? id, JsonDocument document)
    {
        Action = action;
        Id = id;
        _document = document;
    }

    public string Action { get; }

    /// <summary>Client-chosen correlation id, echoed on the response or error.</summary>
    public string? Id { get; }

    public JsonElement Root => _document.RootElement;

    public static bool TryParse(string json, out ClientMessage? message, out ErrorCode? errorCode, out string? errorId)
    {
        message = null;
        errorId = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, Options);
        }
        catch (JsonException)
        {
            errorCode = ErrorCode.BadJson;
            return false;
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            errorCode = ErrorCode.BadJson;
            return false;
        }

        errorId = TryString(root, "id") is { Length: <= SignalingProtocol.MaxIdLength } id ? id : null;
        if (root.TryGetProperty("v", out var v) && (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var version) || version != SignalingProtocol.Version))
        {
            document.Dispose();
            errorCode = ErrorCode.UnsupportedVersion;
            return false;
        }

        if (TryString(root, "action") is not { Length: > 0 and <= 32 } action)
        {
            document.Dispose();
            errorCode = ErrorCode.BadRequest;
            return false;
        }

        message = new ClientMessage(action, errorId, document);
        errorCode = null;
        return true;
    }

    public void Dispose() => _document.Dispose();

    public bool Has(string name) => Root.TryGetProperty(name, out _);

    private static string? TryString(JsonElement root, string name) =>
        root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;
}
