using System.Xml.Linq;

namespace Lilium.Aws.Ec2;

/// <summary>The parts of an EC2 network interface the relay needs: its id, private and (when associated) public IPv4.</summary>
public sealed record NetworkInterfaceInfo(string NetworkInterfaceId, string? PrivateIpAddress, string? MacAddress, string? PublicIp)
{
    /// <summary>Reads one <c>networkInterfaceSet/item</c>; missing elements are null, never an exception.</summary>
    internal static NetworkInterfaceInfo From(XElement item)
    {
        string? Child(XElement? parent, string name) => parent?.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value is { Length: > 0 } v ? v : null;
        var association = item.Elements().FirstOrDefault(e => e.Name.LocalName == "association");
        return new NetworkInterfaceInfo(Child(item, "networkInterfaceId") ?? "", Child(item, "privateIpAddress"), Child(item, "macAddress"), Child(association, "publicIp"));
    }
}
