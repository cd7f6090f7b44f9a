using System.Text.Json;
using Lilium.Aws;
using Lilium.Ops;
using Lilium.Testing;

namespace Lilium.Infra.Tests;

/// <summary>
/// pause / resume / status against the LocalStack-compatible endpoint (moto_server started by the
/// fixture when nothing listens on :4566), with a stack, ECS service and NAT instance made by boto3. Mode changes go
/// through <see cref="OutputOnlyDeployer"/> here; LocalDeployTests deploys each mode for real.
/// </summary>
[Trait("Category", "Integration")]
public sealed class OpsCommandTests(AwsEndpointFixture endpoint) : IClassFixture<AwsEndpointFixture>
{
    private async Task<(string Stack, string Cluster, string Service, string Nat)> FixtureAsync()
    {
        var name = "ops-" + Guid.NewGuid().ToString("N")[..10];
        var result = await ProcessRunner.RunAsync("python3", [Path.Combine(AppContext.BaseDirectory, "make_ops_fixture.py"), endpoint.Endpoint.ToString().TrimEnd('/'), name]);
        var json = JsonDocument.Parse(result.EnsureSuccess("make_ops_fixture.py").StdOut).RootElement;
        return (json.GetProperty("stack").GetString()!, json.GetProperty("cluster").GetString()!, json.GetProperty("service").GetString()!, json.GetProperty("nat").GetString()!);
    }

    [Fact]
    public async Task Pause_resume_and_status_drive_the_mode_and_the_relay_service()
    {
        var (stack, cluster, service, nat) = await FixtureAsync();
        var deployer = new OutputOnlyDeployer(endpoint);
        var (ops, output, aws) = OpsHarness.Create(endpoint, deployer);
        var ecs = new Lilium.Aws.Ecs.EcsClient(aws);

        await ops.PauseAsync(stack, minimal: true, CancellationToken.None);
        Assert.Equal(0, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
        Assert.Equal(["minimal"], deployer.Modes);
        Assert.Contains("mode=minimal desired=0", output.ToString(), StringComparison.Ordinal);

        // Pausing again in the same mode deploys nothing.
        await ops.PauseAsync(stack, minimal: true, CancellationToken.None);
        Assert.Equal(["minimal"], deployer.Modes);

        output.GetStringBuilder().Clear();
        await ops.ResumeAsync(stack, count: 1, CancellationToken.None);
        Assert.Equal(["minimal", "active"], deployer.Modes);
        Assert.Equal(1, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
        var resumed = output.ToString();
        Assert.Contains("about 4–6 minutes", resumed, StringComparison.Ordinal);
        Assert.Contains("resume took", resumed, StringComparison.Ordinal);

        output.GetStringBuilder().Clear();
        await ops.StatusAsync(stack, CancellationToken.None);
        var text = output.ToString();
        Assert.Contains("mode=active desired=1", text, StringComparison.Ordinal);
        Assert.Contains("/month", text, StringComparison.Ordinal);
        Assert.Contains(nat, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_keeps_the_stacks_mode_and_a_new_stack_starts_paused()
    {
        var (stack, _, _, _) = await FixtureAsync();
        var deployer = new OutputOnlyDeployer(endpoint);
        var (ops, _, _) = OpsHarness.Create(endpoint, deployer);
        await ops.DeployAsync(stack, CancellationToken.None);
        var missing = new RecordingDeployer();
        var (fresh, _, _) = OpsHarness.Create(endpoint, missing);
        await fresh.DeployAsync("none-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None);
        Assert.Equal(["active"], deployer.Modes);
        Assert.Equal(["paused"], missing.Modes);
    }

    /// <summary>Only records: the stack it is asked to deploy does not exist anywhere.</summary>
    private sealed class RecordingDeployer : IStackDeployer
    {
        public List<string> Modes { get; } = [];

        public Task DeployAsync(string stackName, string mode, CancellationToken cancellationToken)
        {
            Modes.Add(mode);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task A_missing_stack_is_a_clear_error()
    {
        var (ops, _, _) = OpsHarness.Create(endpoint, new OutputOnlyDeployer(endpoint));
        var e = await Assert.ThrowsAsync<OpsException>(() => ops.StatusAsync("no-such-stack-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None));
        Assert.Contains("Deploy it first", e.Message, StringComparison.Ordinal);
    }
}
