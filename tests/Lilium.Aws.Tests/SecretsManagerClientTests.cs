using Lilium.Aws.SecretsManager;
using Lilium.Testing;

namespace Lilium.Aws.Tests;

[Trait("Category", "Integration")]
public sealed class SecretsManagerClientTests(AwsEndpointFixture endpoint) : IClassFixture<AwsEndpointFixture>
{
    [Fact]
    public async Task Reads_a_secret_created_with_the_cli()
    {
        var name = "lilium/test/" + Guid.NewGuid().ToString("N");
        var created = await Boto3.CallAsync(endpoint, "secretsmanager", "create_secret", new { Name = name, SecretString = "{\"accessKey\":\"é✓\"}" });
        var client = new SecretsManagerClient(TestContexts.For(endpoint));

        var secret = await client.GetSecretValueAsync(name);

        Assert.Equal("{\"accessKey\":\"é✓\"}", secret.SecretString);
        Assert.Equal(name, secret.Name);
        Assert.Equal(created.GetProperty("ARN").GetString(), secret.Arn);
        Assert.Equal(created.GetProperty("VersionId").GetString(), secret.VersionId);
        Assert.Contains("AWSCURRENT", secret.VersionStages);
        Assert.Null(secret.SecretBinary);
    }

    [Fact]
    public async Task Reads_a_binary_secret_by_arn()
    {
        var name = "lilium/test/" + Guid.NewGuid().ToString("N");
        var bytes = new byte[] { 0, 1, 2, 0xfe, 0xff };
        var created = await Boto3.CallAsync(endpoint, "secretsmanager", "create_secret", new { Name = name, SecretBinaryBase64 = Convert.ToBase64String(bytes) });

        var secret = await new SecretsManagerClient(TestContexts.For(endpoint)).GetSecretValueAsync(created.GetProperty("ARN").GetString()!);

        Assert.Equal(bytes, secret.SecretBinary);
        Assert.Null(secret.SecretString);
    }

    [Fact]
    public async Task Missing_secret_is_a_typed_error()
    {
        var client = new SecretsManagerClient(TestContexts.For(endpoint));

        var e = await Assert.ThrowsAsync<AwsServiceException>(() => client.GetSecretValueAsync("lilium/test/does-not-exist-" + Guid.NewGuid().ToString("N")));

        Assert.Equal("ResourceNotFoundException", e.ErrorCode);
        Assert.InRange((int)e.StatusCode, 400, 404); // AWS answers 400, moto 404: the code is what callers branch on.
        Assert.False(e.IsTransient);
    }

    [Fact]
    public async Task Cache_serves_the_old_value_until_the_ttl_passes()
    {
        var name = "lilium/test/" + Guid.NewGuid().ToString("N");
        await Boto3.CallAsync(endpoint, "secretsmanager", "create_secret", new { Name = name, SecretString = "v1" });
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var client = new SecretsManagerClient(TestContexts.For(endpoint, clock), TimeSpan.FromMinutes(1));
        Assert.Equal("v1", (await client.GetSecretValueAsync(name)).SecretString);

        await Boto3.CallAsync(endpoint, "secretsmanager", "put_secret_value", new { SecretId = name, SecretString = "v2" });
        var cached = (await client.GetSecretValueAsync(name)).SecretString;
        clock.Advance(TimeSpan.FromSeconds(61));
        var fresh = (await client.GetSecretValueAsync(name)).SecretString;

        Assert.Equal("v1", cached);
        Assert.Equal("v2", fresh);
    }

    [Fact]
    public async Task Invalidate_forgets_the_cached_value()
    {
        var name = "lilium/test/" + Guid.NewGuid().ToString("N");
        await Boto3.CallAsync(endpoint, "secretsmanager", "create_secret", new { Name = name, SecretString = "v1" });
        var client = new SecretsManagerClient(TestContexts.For(endpoint));
        await client.GetSecretValueAsync(name);
        await Boto3.CallAsync(endpoint, "secretsmanager", "put_secret_value", new { SecretId = name, SecretString = "v2" });

        client.Invalidate(name);

        Assert.Equal("v2", (await client.GetSecretValueAsync(name)).SecretString);
    }

    [Fact]
    public async Task A_failed_read_is_not_cached()
    {
        var name = "lilium/test/" + Guid.NewGuid().ToString("N");
        var client = new SecretsManagerClient(TestContexts.For(endpoint));
        await Assert.ThrowsAsync<AwsServiceException>(() => client.GetSecretValueAsync(name));

        await Boto3.CallAsync(endpoint, "secretsmanager", "create_secret", new { Name = name, SecretString = "now-here" });

        Assert.Equal("now-here", (await client.GetSecretValueAsync(name)).SecretString);
    }
}
