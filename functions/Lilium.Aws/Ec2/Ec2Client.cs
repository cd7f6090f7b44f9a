using Lilium.Aws.Protocol;

namespace Lilium.Aws.Ec2;

/// <summary>
/// The EC2 calls LiliumShare makes, Query protocol, version 2016-11-15: the three the cost command needs for one
/// instance (the NAT instance: its state, stop and start), and the relay's look-up of its own network interface
/// (its public IP on Fargate).
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

    /// <summary>
    /// The network interfaces holding <paramref name="privateIp"/> (a Fargate task's ENI: the task metadata gives the
    /// private address and MAC, not the interface id), narrowed to <paramref name="macAddress"/> when given.
    /// </summary>
    public async Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesByPrivateIpAsync(
        string privateIp, string? macAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(privateIp);
        List<KeyValuePair<string, string>> parameters = [new("Filter.1.Name", "addresses.private-ip-address"), new("Filter.1.Value.1", privateIp)];
        if (!string.IsNullOrEmpty(macAddress))
        {
            parameters.Add(new("Filter.2.Name", "mac-address"));
            parameters.Add(new("Filter.2.Value.1", macAddress));
        }

        var root = await _protocol.InvokeAsync("DescribeNetworkInterfaces", parameters, cancellationToken);
        var set = root.Elements().FirstOrDefault(e => e.Name.LocalName == "networkInterfaceSet");
        return set is null ? [] : [.. set.Elements().Where(e => e.Name.LocalName == "item").Select(NetworkInterfaceInfo.From)];
    }
}
