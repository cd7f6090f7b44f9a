using System.Text.Json.Serialization;
using Lilium.Auth;

namespace Lilium.Client.Media;

/// <summary>A message on the host's <c>control</c> data channel (docs/input.md), as the SDK reads and writes it.</summary>
internal sealed record ControlWire
{
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("viewer")] public Guid? Viewer { get; init; }
    [JsonPropertyName("peer")] public Guid? Peer { get; init; }
    [JsonPropertyName("keyboard")] public bool? Keyboard { get; init; }
    [JsonPropertyName("mouse")] public bool? Mouse { get; init; }
    [JsonPropertyName("controller")] public bool? Controller { get; init; }
    [JsonPropertyName("immersion")] public bool? Immersion { get; init; }
    [JsonPropertyName("peers")] public int? Peers { get; init; }
    [JsonPropertyName("released")] public int? Released { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }

    [JsonIgnore]
    public InputPermissions Permissions =>
        (Keyboard == true ? InputPermissions.Keyboard : 0) | (Mouse == true ? InputPermissions.Mouse : 0)
        | (Controller == true ? InputPermissions.Controller : 0) | (Immersion == true ? InputPermissions.Immersion : 0);
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ControlWire))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
