using System.Text.Json.Serialization;

namespace Lilium.Aws.Ecs;

// Wire shapes of ecs 2014-11-13 (botocore service-2.json), camelCase as the service speaks.
internal sealed record UpdateServiceWire(string? Cluster, string Service, int? DesiredCount, string? TaskDefinition, bool? ForceNewDeployment);

internal sealed record UpdateServiceResponseWire(ServiceWire? Service);

internal sealed record DescribeServicesWire(string? Cluster, string[] Services);

internal sealed record DescribeServicesResponseWire(ServiceWire[]? Services, FailureWire[]? Failures);

internal sealed record ServiceWire(
    string? ServiceName,
    string? ServiceArn,
    string? ClusterArn,
    string? Status,
    int DesiredCount,
    int RunningCount,
    int PendingCount,
    string? TaskDefinition,
    string? LaunchType,
    DeploymentWire[]? Deployments);

internal sealed record DeploymentWire(string? Id, string? Status, int DesiredCount, int RunningCount, int PendingCount, string? RolloutState);

internal sealed record FailureWire(string? Arn, string? Reason, string? Detail);

internal sealed record CreateClusterWire(string ClusterName);

internal sealed record CreateClusterResponseWire(ClusterWire? Cluster);

internal sealed record ClusterWire(string? ClusterArn, string? ClusterName, string? Status);

internal sealed record ContainerDefinitionWire(string Name, string Image, int Memory, bool Essential);

internal sealed record RegisterTaskDefinitionWire(string Family, ContainerDefinitionWire[] ContainerDefinitions, string[]? RequiresCompatibilities, string? NetworkMode, string? Cpu, string? Memory);

internal sealed record RegisterTaskDefinitionResponseWire(TaskDefinitionWire? TaskDefinition);

internal sealed record TaskDefinitionWire(string? TaskDefinitionArn);

internal sealed record CreateServiceWire(string? Cluster, string ServiceName, string TaskDefinition, int DesiredCount);

internal sealed record CreateServiceResponseWire(ServiceWire? Service);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(UpdateServiceWire))]
[JsonSerializable(typeof(UpdateServiceResponseWire))]
[JsonSerializable(typeof(DescribeServicesWire))]
[JsonSerializable(typeof(DescribeServicesResponseWire))]
[JsonSerializable(typeof(CreateClusterWire))]
[JsonSerializable(typeof(CreateClusterResponseWire))]
[JsonSerializable(typeof(RegisterTaskDefinitionWire))]
[JsonSerializable(typeof(RegisterTaskDefinitionResponseWire))]
[JsonSerializable(typeof(CreateServiceWire))]
[JsonSerializable(typeof(CreateServiceResponseWire))]
internal sealed partial class EcsJsonContext : JsonSerializerContext;
