using Lilium.Aws.Credentials;
using Lilium.Testing;

namespace Lilium.Aws.Tests;

internal static class TestContexts
{
    /// <summary>A context aimed at the :4566 endpoint the way production reads it: from AWS_* variables.</summary>
    public static AwsContext For(AwsEndpointFixture endpoint, TimeProvider? time = null) =>
        new(new HttpClient(), AwsSettings.From(endpoint.Environment), new StaticCredentialsProvider(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey), time);
}
