using Lilium.Aws;
using Lilium.Aws.CloudFormation;

namespace Lilium.Ops;

/// <summary>The deployed stack's outputs the commands need, read once.</summary>
public sealed record StackHandle(string StackName, string Cluster, string Service, string? NatInstanceId, string Mode, string? AppUrl)
{
    /// <summary>The stack, or null when there is none of that name.</summary>
    public static async Task<StackHandle?> TryResolveAsync(AwsContext aws, string stackName, CancellationToken cancellationToken)
    {
        var stack = await new CloudFormationClient(aws).DescribeStackAsync(stackName, cancellationToken);
        if (stack is null)
        {
            return null;
        }

        string Require(string key) => stack.Outputs.TryGetValue(key, out var v) && v.Length > 0
            ? v
            : throw new OpsException($"Stack '{stackName}' ({stack.Status}) has no output '{key}'; is it a LiliumShare stack, and did its deployment finish?");
        return new StackHandle(
            stack.Name,
            Require("ClusterName"),
            Require("ServiceName"),
            stack.Outputs.GetValueOrDefault("NatInstanceId"),
            stack.Outputs.GetValueOrDefault("Mode") ?? "active",
            stack.Outputs.GetValueOrDefault("AppUrl"));
    }

    public static async Task<StackHandle> ResolveAsync(AwsContext aws, string stackName, CancellationToken cancellationToken) =>
        await TryResolveAsync(aws, stackName, cancellationToken)
            ?? throw new OpsException($"No stack named '{stackName}' in {aws.Settings.RequireRegion()}. Deploy it first ('make deploy', or 'make deploy-local' for the local endpoint), or pass --stack.");
}

/// <summary>An error the operator can act on; printed without a stack trace.</summary>
public sealed class OpsException(string message) : Exception(message);
