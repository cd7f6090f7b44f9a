using System.Text.Json.Serialization;

namespace Lilium.Aws.SecretsManager;

// Wire shapes of secretsmanager 2017-10-17 (botocore service-2.json), PascalCase as the service speaks.
internal sealed record GetSecretValueRequest(
    [property: JsonPropertyName("SecretId")] string SecretId,
    [property: JsonPropertyName("VersionStage")] string? VersionStage);

internal sealed record GetSecretValueResponse(
    [property: JsonPropertyName("ARN")] string? Arn,
    [property: JsonPropertyName("Name")] string? Name,
    [property: JsonPropertyName("VersionId")] string? VersionId,
    [property: JsonPropertyName("SecretString")] string? SecretString,
    [property: JsonPropertyName("SecretBinary")] byte[]? SecretBinary,
    [property: JsonPropertyName("VersionStages")] string[]? VersionStages,
    [property: JsonPropertyName("CreatedDate")] double? CreatedDate);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GetSecretValueRequest))]
[JsonSerializable(typeof(GetSecretValueResponse))]
internal sealed partial class SecretsManagerJsonContext : JsonSerializerContext;
