using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace Lilium.Aws.Credentials;

/// <summary>
/// AWSSDK.Core's default credential chain, unchanged: environment variables
/// (<c>AWS_ACCESS_KEY_ID</c>/<c>AWS_SECRET_ACCESS_KEY</c>/<c>AWS_SESSION_TOKEN</c>, which is what Lambda
/// provides), the shared profile (<c>AWS_PROFILE</c>, <c>~/.aws/credentials</c>), web identity, the ECS/Fargate
/// container endpoint (<c>AWS_CONTAINER_CREDENTIALS_RELATIVE_URI</c> or <c>_FULL_URI</c>) and EC2 instance
/// metadata. The SDK caches the chosen source and refreshes expiring credentials itself.
/// </summary>
public sealed class SdkCredentialsProvider : IAwsCredentialsProvider
{
    public async ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        AWSCredentials credentials;
        try
        {
            credentials = await DefaultAWSCredentialsIdentityResolver.GetCredentialsAsync(clientConfig: null).WaitAsync(cancellationToken);
        }
        catch (AmazonClientException e)
        {
            throw new AwsConfigurationException("No AWS credentials found (environment, profile, container or instance metadata): " + e.Message, e);
        }

        return await credentials.GetCredentialsAsync().WaitAsync(cancellationToken);
    }
}
