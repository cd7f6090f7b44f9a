using System.Text.Json.Serialization;

namespace Lilium.Lambda.Events;

/// <summary>Source-generated (trim-safe) JSON for the API Gateway event and response models.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(HttpApiV2Request))]
[JsonSerializable(typeof(HttpApiV2Response))]
[JsonSerializable(typeof(WebSocketEvent))]
[JsonSerializable(typeof(WebSocketResponse))]
public sealed partial class LambdaEventsJsonContext : JsonSerializerContext;
