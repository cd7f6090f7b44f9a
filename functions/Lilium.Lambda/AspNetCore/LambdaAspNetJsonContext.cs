using System.Text.Json.Serialization;

namespace Lilium.Lambda.AspNetCore;

/// <summary>An RFC 9457 problem document, for events the adapter cannot turn into a request.</summary>
internal sealed record ProblemBody(
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("detail")] string Detail);

[JsonSerializable(typeof(ProblemBody))]
internal sealed partial class LambdaAspNetJsonContext : JsonSerializerContext;
