using Lilium.Aws.Ecs;
using Lilium.Testing;

namespace Lilium.Aws.Tests;

[Trait("Category", "Integration")]
public sealed class EcsClientTests(EcsClusterFixture fixture) : IClassFixture<EcsClusterFixture>
{
    private AwsEndpointFixture Endpoint => fixture.Endpoint;

    [Fact]
    public async Task Scales_a_service_and_describes_it()
    {
        var (cluster, service) = await CreateServiceAsync(desiredCount: 1);
        var client = new EcsClient(TestContexts.For(Endpoint));

        var updated = await client.UpdateServiceAsync(new UpdateServiceRequest(cluster, service) { DesiredCount = 0 });
        var described = await client.DescribeServicesAsync(cluster, [service]);

        Assert.Equal(service, updated.ServiceName);
        Assert.Equal(0, updated.DesiredCount);
        var s = Assert.Single(described.Services);
        Assert.Equal(0, s.DesiredCount);
        Assert.Equal("ACTIVE", s.Status);
        Assert.Contains(service, s.ServiceArn, StringComparison.Ordinal);
        Assert.Empty(described.Failures);

        // And back up, read through boto3 as an independent witness.
        await client.UpdateServiceAsync(new UpdateServiceRequest(cluster, service) { DesiredCount = 2 });
        var cli = await Boto3.CallAsync(Endpoint, "ecs", "describe_services", new { cluster, services = new[] { service } });
        Assert.Equal(2, cli.GetProperty("services")[0].GetProperty("desiredCount").GetInt32());
    }

    [Fact]
    public async Task Unknown_service_is_reported_as_a_failure()
    {
        var described = await new EcsClient(TestContexts.For(Endpoint)).DescribeServicesAsync(fixture.Cluster, ["no-such-service"]);

        Assert.Empty(described.Services);
        Assert.Equal("MISSING", Assert.Single(described.Failures).Reason);
    }

    [Fact]
    public async Task Updating_in_an_unknown_cluster_is_a_typed_error()
    {
        var client = new EcsClient(TestContexts.For(Endpoint));

        var e = await Assert.ThrowsAsync<AwsServiceException>(() =>
            client.UpdateServiceAsync(new UpdateServiceRequest("no-such-cluster-" + Guid.NewGuid().ToString("N")[..8], "relay") { DesiredCount = 1 }));

        Assert.Equal("ClusterNotFoundException", e.ErrorCode);
        Assert.Equal(400, (int)e.StatusCode);
    }

    private async Task<(string Cluster, string Service)> CreateServiceAsync(int desiredCount)
    {
        var service = "relay-" + Guid.NewGuid().ToString("N")[..10];
        await Boto3.CallAsync(Endpoint, "ecs", "create_service", new { cluster = fixture.Cluster, serviceName = service, taskDefinition = fixture.TaskDefinition, desiredCount });
        return (fixture.Cluster, service);
    }
}
