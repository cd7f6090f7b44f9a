using Amazon.Runtime;

namespace Lilium.Aws.Credentials;

/// <summary>Supplies credentials for each request; implementations cache and refresh as they need.</summary>
public interface IAwsCredentialsProvider
{
    ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken);
}
