using System.Net;
using Lilium.Aws.Protocol;

namespace Lilium.Aws.CloudFormation;

/// <summary>A deployed stack: its status and outputs.</summary>
public sealed record CloudFormationStack(string Name, string Status, IReadOnlyDictionary<string, string> Outputs);

/// <summary>CloudFormation <c>DescribeStacks</c> and <c>GetTemplate</c> over the Query protocol (version 2010-05-15), for reading a stack's outputs.</summary>
public sealed class CloudFormationClient(AwsContext context)
{
    private readonly AwsQueryProtocol _protocol = new(context, AwsService.CloudFormation, "2010-05-15");

    /// <summary>The stack, or null when no stack of that name exists.</summary>
    public async Task<CloudFormationStack?> DescribeStackAsync(string stackName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackName);
        System.Xml.Linq.XElement root;
        try
        {
            root = await _protocol.InvokeAsync("DescribeStacks", [new("StackName", stackName)], cancellationToken);
        }
        catch (AwsServiceException e) when (e.StatusCode == HttpStatusCode.BadRequest && e.ServiceMessage.Contains("does not exist", StringComparison.Ordinal))
        {
            return null;
        }

        var stack = root.Descendants().FirstOrDefault(e => e.Name.LocalName == "Stacks")?.Elements().FirstOrDefault();
        if (stack is null)
        {
            return null;
        }

        string? Child(System.Xml.Linq.XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        var outputs = (stack.Elements().FirstOrDefault(e => e.Name.LocalName == "Outputs")?.Elements() ?? [])
            .Select(o => (Key: Child(o, "OutputKey"), Value: Child(o, "OutputValue")))
            .Where(o => o.Key is not null)
            .ToDictionary(o => o.Key!, o => o.Value ?? "");
        return new CloudFormationStack(Child(stack, "StackName") ?? stackName, Child(stack, "StackStatus") ?? "", outputs);
    }

    /// <summary>The deployed template's body (JSON as CDK writes it), or null when no stack of that name exists.</summary>
    public async Task<string?> GetTemplateAsync(string stackName, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackName);
        try
        {
            var root = await _protocol.InvokeAsync("GetTemplate", [new("StackName", stackName)], cancellationToken);
            return root.Descendants().FirstOrDefault(e => e.Name.LocalName == "TemplateBody")?.Value;
        }
        catch (AwsServiceException e) when (e.StatusCode == HttpStatusCode.BadRequest && e.ServiceMessage.Contains("does not exist", StringComparison.Ordinal))
        {
            return null;
        }
    }
}
