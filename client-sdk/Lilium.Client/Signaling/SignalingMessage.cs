using System.Text.Json;
using Lilium.Protocol.Signaling;

namespace Lilium.Client.Signaling;

/// <summary>
/// One message from the WebSocket API (docs/signaling.md): its <see cref="Action"/>, the echoed
/// request <see cref="Id"/> if any, and the whole JSON object for the action's fields.
/// </summary>
public sealed class SignalingMessage
{
    internal SignalingMessage(JsonElement json)
    {
        Json = json;
        Action = String("action") ?? "";
        Id = String("id");
    }

    /// <summary>The action, e.g. <c>chat.msg</c>, <c>join.incoming</c>, <c>error</c>.</summary>
    public string Action { get; }

    /// <summary>The id the client put on its request, echoed on the reply or error.</summary>
    public string? Id { get; }

    /// <summary>The message as JSON.</summary>
    public JsonElement Json { get; }

    /// <summary>For <c>error</c>: the machine-readable code.</summary>
    public string? ErrorCode => Action == Actions.Error ? String("code") : null;

    /// <summary>
    /// The message as its protocol record (a <see cref="ToClient"/> type such as <see cref="ToClient.JoinAccepted"/>),
    /// or null when its fields do not fit that record.
    /// </summary>
    public T? As<T>() where T : WireMessage => SignalingJson.TryRead(Json, out T? message) ? message : null;

    /// <summary>A string field, or null.</summary>
    public string? String(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A UUID field, or null.</summary>
    public Guid? Guid(string name) => System.Guid.TryParse(String(name), out var g) ? g : null;

    /// <summary>A boolean field, or null.</summary>
    public bool? Bool(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    /// <summary>An integer field, or null.</summary>
    public long? Int(string name) => Json.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    /// <inheritdoc/>
    public override string ToString() => Json.GetRawText();
}

/// <summary>The server answered a request with <c>error</c>.</summary>
public sealed class SignalingErrorException : LiliumException
{
    /// <summary>Creates the error from the server's code and message.</summary>
    public SignalingErrorException(string code, string message) : base($"{message} ({code})") => Code = code;

    /// <summary>The machine-readable code, e.g. <c>friend-offline</c>.</summary>
    public string Code { get; }
}
