namespace Lilium.Aws.SecretsManager;

/// <summary>A secret version: text (<see cref="SecretString"/>) or bytes (<see cref="SecretBinary"/>).</summary>
public sealed record SecretValue(
    string Arn,
    string Name,
    string VersionId,
    string? SecretString,
    byte[]? SecretBinary,
    IReadOnlyList<string> VersionStages,
    DateTimeOffset? CreatedDate);
