namespace Lilium.Aws.Ecs;

/// <summary>The parts of an ECS service that pause/resume/status need.</summary>
public sealed record EcsService(
    string ServiceName,
    string ServiceArn,
    string? ClusterArn,
    string Status,
    int DesiredCount,
    int RunningCount,
    int PendingCount,
    string? TaskDefinition,
    string? LaunchType,
    IReadOnlyList<EcsDeployment> Deployments)
{
    /// <summary>True when the service has settled: one deployment, running what it desires, nothing pending.</summary>
    public bool IsSteady => RunningCount == DesiredCount && PendingCount == 0 && Deployments.Count <= 1;
}
