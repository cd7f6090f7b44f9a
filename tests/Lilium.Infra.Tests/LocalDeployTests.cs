using System.Text.Json;
using Lilium.Aws.CloudFormation;
using Lilium.Testing;

namespace Lilium.Infra.Tests;

/// <summary>
/// The real thing against the LocalStack-compatible endpoint (LocalStack if it answers on :4566, else moto_server started
/// by the fixture): <c>scripts/deploy-local.sh</c> runs <c>cdk bootstrap</c> and <c>cdk deploy</c> of the synthesized app,
/// then <c>pause</c> / <c>resume</c> / <c>status</c> act on the ECS service that the deploy created (found through the stack's
/// outputs), and <c>cdk destroy</c> leaves no stack. What the endpoint does not model is listed in docs/infra.md.
/// </summary>
[Trait("Category", "Integration")]
public sealed class LocalDeployTests(AwsEndpointFixture endpoint) : IClassFixture<AwsEndpointFixture>
{
    private static readonly TimeSpan DeployTimeout = TimeSpan.FromMinutes(12);

    [Fact]
    public async Task Deploy_pause_resume_status_and_destroy_against_the_local_endpoint()
    {
        var stack = "LiliumCi" + Guid.NewGuid().ToString("N")[..8];
        string? cluster = null, service = null;
        var env = new Dictionary<string, string?> { ["LOCALSTACK_ENDPOINT"] = endpoint.Endpoint.ToString().TrimEnd('/') };
        var (ops, output, aws) = OpsHarness.Create(endpoint);
        var ecs = new Lilium.Aws.Ecs.EcsClient(aws);
        try
        {
            var deploy = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "deploy-local.sh"), "deploy", stack], DeployTimeout, environment: env);
            var outputs = JsonDocument.Parse(deploy.EnsureSuccess("deploy-local.sh deploy").StdOut).RootElement.GetProperty(stack);
            foreach (var name in new[] { "HttpApiUrl", "WebSocketUrl", "AlbUrl", "ClusterName", "ServiceName", "TokenKeysSecretArn" })
            {
                Assert.True(outputs.TryGetProperty(name, out _), $"stack output {name} missing: {outputs}");
            }

            // The generated secret is a seed the API and relay derive their keys from: nothing to seed after a deploy.
            var secret = await new Lilium.Aws.SecretsManager.SecretsManagerClient(aws, TimeSpan.Zero)
                .GetSecretValueAsync(outputs.GetProperty("TokenKeysSecretArn").GetString()!);
            Assert.NotNull(Lilium.Auth.TokenKeys.TryParse(secret.SecretString));

            cluster = outputs.GetProperty("ClusterName").GetString()!;
            service = outputs.GetProperty("ServiceName").GetString()!;

            await ops.PauseAsync(stack, minimal: false, CancellationToken.None);
            Assert.Equal(0, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
            await ops.StatusAsync(stack, CancellationToken.None);
            Assert.Contains("desired=0", output.ToString(), StringComparison.Ordinal);

            output.GetStringBuilder().Clear();
            await ops.ResumeAsync(stack, count: 1, minimal: false, CancellationToken.None);
            Assert.Equal(1, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
            await ops.StatusAsync(stack, CancellationToken.None);
            Assert.Contains("desired=1", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            var destroy = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "deploy-local.sh"), "destroy", stack], DeployTimeout, environment: env);
            destroy.EnsureSuccess("deploy-local.sh destroy");
        }

        var stacks = new CloudFormationClient(aws);
        var left = await stacks.DescribeStackAsync(stack);
        Assert.True(left is null || left.Status == "DELETE_COMPLETE", $"stack {stack} is {left?.Status} after cdk destroy");

        // What the stack made went with it (ECS keeps a deleted service visible as INACTIVE for a while).
        Assert.NotNull(cluster);
        var after = await ecs.DescribeServicesAsync(cluster, [service!]);
        Assert.All(after.Services, s => Assert.Equal("INACTIVE", s.Status));
    }
}
