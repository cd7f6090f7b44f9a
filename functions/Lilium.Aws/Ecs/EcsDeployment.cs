namespace Lilium.Aws.Ecs;

/// <summary>One deployment of a service (<c>PRIMARY</c>, <c>ACTIVE</c>, …).</summary>
public sealed record EcsDeployment(string? Id, string? Status, int DesiredCount, int RunningCount, int PendingCount, string? RolloutState);
