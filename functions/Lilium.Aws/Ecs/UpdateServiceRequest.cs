namespace Lilium.Aws.Ecs;

/// <summary>What to change on a service; null members are left as they are.</summary>
public sealed record UpdateServiceRequest(string Cluster, string Service)
{
    public int? DesiredCount { get; init; }

    public string? TaskDefinition { get; init; }

    public bool? ForceNewDeployment { get; init; }
}
