namespace Lilium.Aws.Ecs;

/// <summary>A service DescribeServices could not return (e.g. reason <c>MISSING</c>).</summary>
public sealed record EcsFailure(string? Arn, string? Reason, string? Detail);
