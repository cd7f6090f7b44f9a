using System.Text.Json;
using Lilium.Aws;
using Lilium.Ops;
using Lilium.Testing;

namespace Lilium.Infra.Tests;

/// <summary>
/// pause / resume / status against the LocalStack-compatible endpoint (moto_server started by the
/// fixture when nothing listens on :4566), with a stack, ECS service and NAT instance made by boto3.
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

    private (OpsCommands Ops, StringWriter Output, AwsContext Aws) Ops() => OpsHarness.Create(endpoint);

    [Fact]
    public async Task Pause_resume_and_status_drive_the_relay_service_and_the_nat_instance()
    {
        var (stack, cluster, service, nat) = await FixtureAsync();
        var (ops, output, aws) = Ops();
        var ecs = new Lilium.Aws.Ecs.EcsClient(aws);
        var ec2 = new Lilium.Aws.Ec2.Ec2Client(aws);

        await ops.PauseAsync(stack, minimal: true, CancellationToken.None);
        Assert.Equal(0, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
        Assert.Equal("stopped", await ec2.GetInstanceStateAsync(nat));
        Assert.Contains("desired=0", output.ToString(), StringComparison.Ordinal);

        await ops.ResumeAsync(stack, count: 1, minimal: true, CancellationToken.None);
        Assert.Equal(1, (await ecs.DescribeServicesAsync(cluster, [service])).Services.Single().DesiredCount);
        Assert.Equal("running", await ec2.GetInstanceStateAsync(nat));

        output.GetStringBuilder().Clear();
        await ops.StatusAsync(stack, CancellationToken.None);
        var text = output.ToString();
        Assert.Contains("desired=1", text, StringComparison.Ordinal);
        Assert.Contains("/hour", text, StringComparison.Ordinal);
        Assert.Contains(nat, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_stack_is_a_clear_error()
    {
        var (ops, _, _) = Ops();
        var e = await Assert.ThrowsAsync<OpsException>(() => ops.StatusAsync("no-such-stack-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None));
        Assert.Contains("Deploy it first", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cost_model_adds_up()
    {
        // Paused: load balancer with its two public IPv4 addresses only.
        Assert.Equal(0.0325m, CostModel.HourlyCost(0, natRunning: false, activeAcu: 0));
        // One relay task, the NAT instance, half an ACU of database.
        Assert.Equal(0.0325m + 0.05437m + 0.0092m + 0.06m, CostModel.HourlyCost(1, natRunning: true, activeAcu: 0.5m));
    }
}
