using Lilium.Testing;

namespace Lilium.Aws.Tests;

/// <summary>One ECS cluster and task definition on the :4566 endpoint, created with boto3, for a test class.</summary>
public sealed class EcsClusterFixture : IAsyncLifetime
{
    public AwsEndpointFixture Endpoint { get; } = new();

    public string Cluster { get; private set; } = "";

    public string TaskDefinition { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Endpoint.InitializeAsync();
        var suffix = Guid.NewGuid().ToString("N")[..10];
        Cluster = "lilium-" + suffix;
        await Boto3.CallAsync(Endpoint, "ecs", "create_cluster", new { clusterName = Cluster });
        var td = await Boto3.CallAsync(Endpoint, "ecs", "register_task_definition", new
        {
            family = "relay-" + suffix,
            containerDefinitions = new[] { new { name = "relay", image = "relay:latest", memory = 512 } },
        });
        TaskDefinition = td.GetProperty("taskDefinition").GetProperty("taskDefinitionArn").GetString()!;
    }

    public Task DisposeAsync() => Endpoint.DisposeAsync();
}
