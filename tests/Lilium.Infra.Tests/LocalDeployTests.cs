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
    public async Task Deploy_signaling_against_the_deployed_table_then_pause_resume_minimal_status_and_destroy()
    {
        var stack = "LiliumCi" + Guid.NewGuid().ToString("N")[..8];
        string? cluster = null, service = null, repository = null;
        var env = new Dictionary<string, string?> { ["LOCALSTACK_ENDPOINT"] = endpoint.Endpoint.ToString().TrimEnd('/') };
        var deployer = new LocalDeployer(endpoint);
        var (ops, output, aws) = OpsHarness.Create(endpoint, deployer);
        var ecs = new Lilium.Aws.Ecs.EcsClient(aws);
        var ec2 = new Lilium.Aws.Ec2.Ec2Client(aws);
        try
        {
            var deploy = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "deploy-local.sh"), "deploy", stack], DeployTimeout, environment: env);
            var outputs = JsonDocument.Parse(deploy.EnsureSuccess("deploy-local.sh deploy").StdOut).RootElement.GetProperty(stack);

            // deploy-local.sh warns when the endpoint's moto predates scripts/moto_local.py (its fixes apply from a restart).
            var endpointWarning = string.Join('\n', deploy.StdErr.Split('\n').Where(l => l.StartsWith("deploy-local.sh: warning", StringComparison.Ordinal)));
            foreach (var name in new[] { "AppUrl", "HttpApiUrl", "WebSocketUrl", "AlbUrl", "ClusterName", "ServiceName", "TokenKeysSecretArn", "RelayKeySecretArn" })
            {
                Assert.True(outputs.TryGetProperty(name, out _), $"stack output {name} missing: {outputs}");
            }

            Assert.Matches("^https://[a-z0-9]+\\.cloudfront\\.net$", outputs.GetProperty("AppUrl").GetString());
            Assert.Equal("active", outputs.GetProperty("Mode").GetString());

            // The generated secrets: the token-keys seed the API derives its keys from, and the relay's own key.
            var secrets = new Lilium.Aws.SecretsManager.SecretsManagerClient(aws, TimeSpan.Zero);
            var tokenKeys = await secrets.GetSecretValueAsync(outputs.GetProperty("TokenKeysSecretArn").GetString()!);
            Assert.NotNull(Lilium.Auth.TokenKeys.TryParse(tokenKeys.SecretString));
            var relayKey = JsonDocument.Parse((await secrets.GetSecretValueAsync(outputs.GetProperty("RelayKeySecretArn").GetString()!)).SecretString!).RootElement;
            Assert.True(Convert.FromBase64String(relayKey.GetProperty("relayKey").GetString()!).Length >= 32, "the relay takes RELAY_KEY as base64 of at least 32 bytes");
            Assert.Single(relayKey.EnumerateObject());

            // The site bucket holds config.json with the distribution's own domain (the deploy-time marker filled in).
            var config = await SiteConfigAsync(stack);
            Assert.Equal("/v1", config.GetProperty("apiBase").GetString());
            Assert.Equal("wss://" + new Uri(outputs.GetProperty("AppUrl").GetString()!).Host + "/ws", config.GetProperty("signalingUrl").GetString());

            // The signaling code against what the deploy made, with the environment the template gives it.
            var template = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoPaths.Root, "cdk.out", stack + ".template.json")))!.AsObject();
            var signalingEnvironment = await DeployedSignaling.EnvironmentAsync(stack, template, endpoint.Environment);
            await DeployedSignaling.ConnectChatDisconnectAsync(signalingEnvironment, endpoint.Endpoint, stack, endpoint.Environment);

            cluster = outputs.GetProperty("ClusterName").GetString()!;
            service = outputs.GetProperty("ServiceName").GetString()!;

            // pause: relay to 0, then the paused template (no load balancer).
            await ops.PauseAsync(stack, minimal: false, CancellationToken.None);
            Assert.Equal(0, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
            Assert.Contains("mode=paused desired=0", output.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("AWS::ElasticLoadBalancingV2::LoadBalancer", await ResourceTypesAsync(stack));
            var pausedOutputs = (await new CloudFormationClient(aws).DescribeStackAsync(stack))!.Outputs;
            Assert.Equal("paused", pausedOutputs["Mode"]);
            Assert.False(pausedOutputs.ContainsKey("AlbUrl"));

            // Paused keeps the NAT instance (the functions reach Secrets Manager and DynamoDB through it), and status shows it.
            Assert.True(pausedOutputs.TryGetValue("NatInstanceId", out var nat) && nat.StartsWith("i-", StringComparison.Ordinal), $"paused keeps the NAT instance: {string.Join(", ", pausedOutputs)}\n{endpointWarning}");
            Assert.Equal("running", await ec2.GetInstanceStateAsync(nat));
            Assert.Contains($"{nat}: running", output.ToString(), StringComparison.Ordinal);

            // resume: the active template again, then one task; the deploy did not touch the count.
            output.GetStringBuilder().Clear();
            await ops.ResumeAsync(stack, count: 1, CancellationToken.None);
            Assert.Equal(1, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
            Assert.Contains("mode=active desired=1", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("AWS::ElasticLoadBalancingV2::LoadBalancer", await ResourceTypesAsync(stack));

            // minimal: nothing billed by the hour in the deployed stack; status prices it from the deployed template.
            output.GetStringBuilder().Clear();
            await ops.PauseAsync(stack, minimal: true, CancellationToken.None);
            var minimal = await ResourceTypesAsync(stack);
            Assert.DoesNotContain("AWS::ElasticLoadBalancingV2::LoadBalancer", minimal);
            Assert.Contains("AWS::DynamoDB::Table", minimal);
            var minimalOutputs = (await new CloudFormationClient(aws).DescribeStackAsync(stack))!.Outputs;
            Assert.Equal("minimal", minimalOutputs["Mode"]);
            Assert.False(minimalOutputs.ContainsKey("NatInstanceId"), "minimal has no NAT instance");
            Assert.DoesNotContain("AWS::EC2::Instance", minimal);
            Assert.Equal("terminated", await ec2.GetInstanceStateAsync(nat));
            Assert.Contains("mode=minimal desired=0", output.ToString(), StringComparison.Ordinal);
            Assert.Equal(["paused", "active", "minimal"], deployer.Modes);

            // An image in the stack's repository (the registry API's half of a push; the endpoint has no registry data
            // plane): destroy must still succeed and take the repository with it (EmptyOnDelete).
            repository = await PutImageAsync(stack);
        }
        finally
        {
            var destroy = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "deploy-local.sh"), "destroy", stack], DeployTimeout, environment: env);
            destroy.EnsureSuccess("deploy-local.sh destroy");
        }

        Assert.NotNull(repository);
        var gone = await ProcessRunner.RunAsync("aws", ["ecr", "describe-repositories", "--repository-names", repository], TimeSpan.FromMinutes(1), environment: endpoint.Environment);
        Assert.NotEqual(0, gone.ExitCode);
        Assert.Contains("RepositoryNotFoundException", gone.StdErr, StringComparison.Ordinal);

        var stacks = new CloudFormationClient(aws);
        var left = await stacks.DescribeStackAsync(stack);
        Assert.True(left is null || left.Status == "DELETE_COMPLETE", $"stack {stack} is {left?.Status} after cdk destroy");

        // What the stack made went with it (ECS keeps a deleted service visible as INACTIVE for a while).
        Assert.NotNull(cluster);
        var after = await ecs.DescribeServicesAsync(cluster, [service!]);
        Assert.All(after.Services, s => Assert.Equal("INACTIVE", s.Status));
    }

    private async Task<HashSet<string>> ResourceTypesAsync(string stack)
    {
        var result = await ProcessRunner.RunAsync("aws", ["cloudformation", "describe-stack-resources", "--stack-name", stack, "--query", "StackResources[].ResourceType", "--output", "json"], TimeSpan.FromMinutes(1), environment: endpoint.Environment);
        return JsonDocument.Parse(result.EnsureSuccess("describe-stack-resources").StdOut).RootElement.EnumerateArray().Select(e => e.GetString()!).ToHashSet();
    }

    private async Task<JsonElement> SiteConfigAsync(string stack)
    {
        var resources = await ProcessRunner.RunAsync("aws", ["cloudformation", "describe-stack-resources", "--stack-name", stack, "--query", "StackResources[?ResourceType=='AWS::S3::Bucket'].PhysicalResourceId", "--output", "text"], TimeSpan.FromMinutes(1), environment: endpoint.Environment);
        var bucket = resources.EnsureSuccess("describe-stack-resources").StdOut.Trim();
        var file = Path.Combine(Path.GetTempPath(), $"lilium-config-{Guid.NewGuid():N}.json");
        try
        {
            (await ProcessRunner.RunAsync("aws", ["s3", "cp", $"s3://{bucket}/config.json", file], TimeSpan.FromMinutes(1), environment: endpoint.Environment)).EnsureSuccess("aws s3 cp config.json");
            return JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement.Clone();
        }
        finally
        {
            File.Delete(file);
        }
    }

    // Puts a one-layer-less image manifest under the tag latest into the repository the stack's outputs name.
    private async Task<string> PutImageAsync(string stack)
    {
        var described = await ProcessRunner.RunAsync(
            "aws", ["cloudformation", "describe-stacks", "--stack-name", stack, "--query", "Stacks[0].Outputs[?OutputKey=='RelayRepositoryUri'].OutputValue", "--output", "text"],
            TimeSpan.FromMinutes(1), environment: endpoint.Environment);
        var uri = described.EnsureSuccess("describe-stacks").StdOut.Trim();
        Assert.Contains('/', uri);
        var name = uri[(uri.IndexOf('/', StringComparison.Ordinal) + 1)..];
        const string manifest = """{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}""";
        (await ProcessRunner.RunAsync("aws", ["ecr", "put-image", "--repository-name", name, "--image-tag", "latest", "--image-manifest", manifest], TimeSpan.FromMinutes(1), environment: endpoint.Environment))
            .EnsureSuccess("ecr put-image");
        return name;
    }
}
