using Lilium.Aws;
using Lilium.Aws.SecretsManager;

namespace Lilium.Data.Configuration;

/// <summary>
/// Secrets Manager behind <see cref="ISecretReader"/>, built on first use only: a deployment that
/// configures everything by plain variables never touches the AWS credential chain at start.
/// </summary>
public sealed class LazySecretReader : ISecretReader
{
    private readonly Lazy<SecretsManagerClient> _client = new(() => new SecretsManagerClient(AwsContext.FromEnvironment()));

    public async Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellationToken = default)
    {
        var value = await _client.Value.GetSecretValueAsync(secretId, cancellationToken: cancellationToken);
        return value.SecretString ?? throw new ConfigurationException($"Secret '{secretId}' has no SecretString.");
    }
}
