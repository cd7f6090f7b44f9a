using System.Text.Json;
using System.Text.Json.Serialization;
using Lilium.Auth;

namespace Lilium.Relay.Input;

/// <summary>
/// One JSON message on the host's <c>control</c> data channel (protocol <c>lilium-control/1</c>,
/// docs/input.md). Host → relay: <c>grant</c>. Relay → host: <c>grant.applied</c>,
/// <c>viewer.joined</c>, <c>viewer.left</c>, <c>error</c>.
/// </summary>
public sealed record ControlMessage
{
    public const string Label = "control";
    public const string Protocol = "lilium-control/1";

    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("viewer")] public Guid? Viewer { get; init; }
    [JsonPropertyName("peer")] public Guid? Peer { get; init; }
    [JsonPropertyName("keyboard")] public bool? Keyboard { get; init; }
    [JsonPropertyName("mouse")] public bool? Mouse { get; init; }
    [JsonPropertyName("controller")] public bool? Controller { get; init; }
    [JsonPropertyName("immersion")] public bool? Immersion { get; init; }
    /// <summary>grant.applied: how many of the viewer's connected peers the change reached now.</summary>
    [JsonPropertyName("peers")] public int? Peers { get; init; }
    /// <summary>grant.applied: key-ups, button-ups and neutral controller states sent to the host.</summary>
    [JsonPropertyName("released")] public int? Released { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }

    [JsonIgnore]
    public InputPermissions Permissions =>
        (Keyboard == true ? InputPermissions.Keyboard : 0) | (Mouse == true ? InputPermissions.Mouse : 0)
        | (Controller == true ? InputPermissions.Controller : 0) | (Immersion == true ? InputPermissions.Immersion : 0);

    public static ControlMessage WithPermissions(string type, Guid viewer, InputPermissions permissions) => new()
    {
        Type = type,
        Viewer = viewer,
        Keyboard = permissions.HasFlag(InputPermissions.Keyboard),
        Mouse = permissions.HasFlag(InputPermissions.Mouse),
        Controller = permissions.HasFlag(InputPermissions.Controller),
        Immersion = permissions.HasFlag(InputPermissions.Immersion),
    };

    public static ControlMessage Error(string code, string detail) => new() { Type = "error", Code = code, Detail = detail };

    /// <summary>Parses a host message; null (never an exception) for anything that is not a JSON object of this shape.</summary>
    public static ControlMessage? TryParse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > 4096)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(utf8, ControlJsonContext.Default.ControlMessage);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, ControlJsonContext.Default.ControlMessage);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlMessage))]
internal sealed partial class ControlJsonContext : JsonSerializerContext;
