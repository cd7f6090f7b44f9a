namespace Lilium.Data.Configuration;

/// <summary>
/// Reads a secret's text by ARN or name. In production this is Secrets Manager (see
/// <c>Lilium.Api</c>'s adapter over <c>Lilium.Aws.SecretsManager.SecretsManagerClient</c>); kept as an
/// interface so this library does not depend on AWS.
/// </summary>
public interface ISecretReader
{
    Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellationToken = default);
}
