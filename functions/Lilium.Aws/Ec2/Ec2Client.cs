using Lilium.Aws.Protocol;

namespace Lilium.Aws.Ec2;

/// <summary>
/// The three EC2 calls the cost command needs, for one instance (the NAT instance): its state,
/// stop and start. Query protocol, version 2016-11-15.
/// </summary>
public sealed class Ec2Client(AwsContext context)
{
    private readonly AwsQueryProtocol _protocol = new(context, AwsService.Ec2, "2016-11-15");

    /// <summary>The instance's state name (pending, running, stopping, stopped, …), or null if it does not exist.</summary>
    public async Task<string?> GetInstanceStateAsync(string instanceId, CancellationToken cancellationToken = default)
    {
        var root = await _protocol.InvokeAsync("DescribeInstances", [new("InstanceId.1", instanceId)], cancellationToken);
        return root.Descendants().FirstOrDefault(e => e.Name.LocalName == "instanceState")
            ?.Elements().FirstOrDefault(e => e.Name.LocalName == "name")?.Value;
    }

    public Task StopInstanceAsync(string instanceId, CancellationToken cancellationToken = default) =>
        _protocol.InvokeAsync("StopInstances", [new("InstanceId.1", instanceId)], cancellationToken);

    public Task StartInstanceAsync(string instanceId, CancellationToken cancellationToken = default) =>
        _protocol.InvokeAsync("StartInstances", [new("InstanceId.1", instanceId)], cancellationToken);
}
