namespace Lilium.Aws.Ecs;

/// <summary>The services found, and a failure for each one that was not.</summary>
public sealed record DescribeServicesResult(IReadOnlyList<EcsService> Services, IReadOnlyList<EcsFailure> Failures);
