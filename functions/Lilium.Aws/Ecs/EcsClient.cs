using System.Net;
using Lilium.Aws.Protocol;

namespace Lilium.Aws.Ecs;

/// <summary>
/// ECS <c>UpdateService</c> and <c>DescribeServices</c> (and, for the local relay supervisor, <c>CreateCluster</c>,
/// <c>RegisterTaskDefinition</c> and <c>CreateService</c>) over JSON 1.1
/// (target prefix <c>AmazonEC2ContainerServiceV20141113</c>, signing name <c>ecs</c>).
/// </summary>
public sealed class EcsClient(AwsContext context)
{
    private readonly AwsJsonProtocol _protocol = new(context, AwsService.Ecs, "AmazonEC2ContainerServiceV20141113");

    /// <summary>Changes the desired count, task definition or forces a new deployment; returns the service as updated.</summary>
    /// <exception cref="AwsServiceException">E.g. <c>ServiceNotFoundException</c>, <c>ClusterNotFoundException</c>.</exception>
    public async Task<EcsService> UpdateServiceAsync(UpdateServiceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(request.Service);
        if (request.DesiredCount is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), "DesiredCount must not be negative.");
        }

        var response = await _protocol.InvokeAsync(
            "UpdateService",
            new UpdateServiceWire(request.Cluster, request.Service, request.DesiredCount, request.TaskDefinition, request.ForceNewDeployment),
            EcsJsonContext.Default.UpdateServiceWire,
            EcsJsonContext.Default.UpdateServiceResponseWire,
            cancellationToken);

        return response.Service is { } s
            ? Map(s)
            : throw new AwsServiceException("ecs", "InvalidResponse", HttpStatusCode.OK, "UpdateService returned no service.", null);
    }

    /// <summary>Describes up to 10 services of a cluster.</summary>
    public async Task<DescribeServicesResult> DescribeServicesAsync(string cluster, IReadOnlyList<string> services, CancellationToken cancellationToken = default)
    {
        if (services.Count is 0 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(services), "DescribeServices takes 1 to 10 services.");
        }

        var response = await _protocol.InvokeAsync(
            "DescribeServices",
            new DescribeServicesWire(cluster, [.. services]),
            EcsJsonContext.Default.DescribeServicesWire,
            EcsJsonContext.Default.DescribeServicesResponseWire,
            cancellationToken);

        return new DescribeServicesResult(
            (response.Services ?? []).Select(Map).ToArray(),
            (response.Failures ?? []).Select(f => new EcsFailure(f.Arn, f.Reason, f.Detail)).ToArray());
    }

    /// <summary>Creates the cluster (idempotent by name, as ECS is); returns its ARN.</summary>
    public async Task<string> CreateClusterAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var response = await _protocol.InvokeAsync("CreateCluster", new CreateClusterWire(name),
            EcsJsonContext.Default.CreateClusterWire, EcsJsonContext.Default.CreateClusterResponseWire, cancellationToken);
        return response.Cluster?.ClusterArn ?? throw new AwsServiceException("ecs", "InvalidResponse", HttpStatusCode.OK, "CreateCluster returned no cluster.", null);
    }

    /// <summary>
    /// Registers a one-container Fargate task definition (<paramref name="image"/>, 512 MiB) — what a service needs to
    /// exist; the local supervisor runs relay processes in its place. Returns the task definition ARN.
    /// </summary>
    public async Task<string> RegisterTaskDefinitionAsync(string family, string containerName, string image, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(family);
        var response = await _protocol.InvokeAsync("RegisterTaskDefinition",
            new RegisterTaskDefinitionWire(family, [new ContainerDefinitionWire(containerName, image, 512, true)], ["FARGATE"], "awsvpc", "256", "512"),
            EcsJsonContext.Default.RegisterTaskDefinitionWire, EcsJsonContext.Default.RegisterTaskDefinitionResponseWire, cancellationToken);
        return response.TaskDefinition?.TaskDefinitionArn
            ?? throw new AwsServiceException("ecs", "InvalidResponse", HttpStatusCode.OK, "RegisterTaskDefinition returned no task definition.", null);
    }

    /// <summary>Creates a service with <paramref name="desiredCount"/> tasks of <paramref name="taskDefinition"/>.</summary>
    public async Task<EcsService> CreateServiceAsync(string cluster, string service, string taskDefinition, int desiredCount, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentOutOfRangeException.ThrowIfNegative(desiredCount);
        var response = await _protocol.InvokeAsync("CreateService", new CreateServiceWire(cluster, service, taskDefinition, desiredCount),
            EcsJsonContext.Default.CreateServiceWire, EcsJsonContext.Default.CreateServiceResponseWire, cancellationToken);
        return response.Service is { } s
            ? Map(s)
            : throw new AwsServiceException("ecs", "InvalidResponse", HttpStatusCode.OK, "CreateService returned no service.", null);
    }

    private static EcsService Map(ServiceWire s) => new(
        s.ServiceName ?? "",
        s.ServiceArn ?? "",
        s.ClusterArn,
        s.Status ?? "",
        s.DesiredCount,
        s.RunningCount,
        s.PendingCount,
        s.TaskDefinition,
        s.LaunchType,
        (s.Deployments ?? []).Select(d => new EcsDeployment(d.Id, d.Status, d.DesiredCount, d.RunningCount, d.PendingCount, d.RolloutState)).ToArray());
}
