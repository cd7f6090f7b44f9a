using System.Text.Json.Serialization;

namespace Lilium.Relay.Observability;

public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("sessions")] int Sessions,
    [property: JsonPropertyName("peers")] int Peers,
    [property: JsonPropertyName("relayId")] string RelayId);

[JsonSerializable(typeof(HealthReport))]
internal sealed partial class RelayJsonContext : JsonSerializerContext;
