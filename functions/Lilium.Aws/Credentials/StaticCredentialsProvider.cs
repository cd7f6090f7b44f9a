using Amazon.Runtime;

namespace Lilium.Aws.Credentials;

/// <summary>Fixed credentials (tests, or a caller that resolved them elsewhere).</summary>
public sealed class StaticCredentialsProvider(string accessKeyId, string secretAccessKey, string? sessionToken = null) : IAwsCredentialsProvider
{
    private readonly ImmutableCredentials _credentials = new(accessKeyId, secretAccessKey, sessionToken);

    public ValueTask<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_credentials);
}
