using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Aws.ApiGateway;

// GetConnection's answer (apigatewaymanagementapi model): timestamps are ISO 8601 strings; epoch
// seconds are accepted too, since local gateways differ.
internal sealed record GetConnectionWire(
    [property: JsonPropertyName("connectedAt")] JsonElement ConnectedAt,
    [property: JsonPropertyName("lastActiveAt")] JsonElement LastActiveAt,
    [property: JsonPropertyName("identity")] IdentityWire? Identity)
{
    public static DateTimeOffset? ToTime(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String when DateTimeOffset.TryParse(e.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) => t,
        JsonValueKind.Number when e.TryGetDouble(out var s) && s is > 0 and < 1e11 => DateTimeOffset.FromUnixTimeMilliseconds((long)(s * 1000)),
        _ => null,
    };
}

internal sealed record IdentityWire(
    [property: JsonPropertyName("sourceIp")] string? SourceIp,
    [property: JsonPropertyName("userAgent")] string? UserAgent);

[JsonSerializable(typeof(GetConnectionWire))]
internal sealed partial class ApiGatewayJsonContext : JsonSerializerContext;
