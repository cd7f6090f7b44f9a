using Lilium.Aws.Ec2;
using Lilium.Testing;

namespace Lilium.Aws.Tests;

/// <summary>The relay's look-up of its own ENI (issue 24, address discovery), against interfaces boto3 made on the :4566 endpoint.</summary>
[Trait("Category", "Integration")]
public sealed class Ec2NetworkInterfaceTests(AwsEndpointFixture endpoint) : IClassFixture<AwsEndpointFixture>
{
    [Fact]
    public async Task An_interface_is_found_by_its_private_ip_with_its_public_ip()
    {
        // A network of its own per run: the shared endpoint keeps earlier runs' interfaces, and the filter spans VPCs.
        var net = $"10.{Random.Shared.Next(100, 200)}.{Random.Shared.Next(0, 256)}";
        var vpc = (await Boto3.CallAsync(endpoint, "ec2", "create_vpc", new { CidrBlock = net + ".0/24" })).GetProperty("Vpc").GetProperty("VpcId").GetString();
        var subnet = (await Boto3.CallAsync(endpoint, "ec2", "create_subnet", new { VpcId = vpc, CidrBlock = net + ".0/24" })).GetProperty("Subnet").GetProperty("SubnetId").GetString();
        var privateIp = $"{net}.{Random.Shared.Next(10, 250)}";
        var eni = (await Boto3.CallAsync(endpoint, "ec2", "create_network_interface", new { SubnetId = subnet, PrivateIpAddress = privateIp }))
            .GetProperty("NetworkInterface");
        var eniId = eni.GetProperty("NetworkInterfaceId").GetString()!;
        var mac = eni.GetProperty("MacAddress").GetString();
        var other = (await Boto3.CallAsync(endpoint, "ec2", "create_network_interface", new { SubnetId = subnet, PrivateIpAddress = net + ".5" }))
            .GetProperty("NetworkInterface").GetProperty("NetworkInterfaceId").GetString();
        var ec2 = new Ec2Client(TestContexts.For(endpoint));

        // Before an address is associated: found, no public IP (a relay in a private subnet goes on to STUN).
        var bare = Assert.Single(await ec2.DescribeNetworkInterfacesByPrivateIpAsync(privateIp));
        Assert.Equal((eniId, privateIp, (string?)null), (bare.NetworkInterfaceId, bare.PrivateIpAddress, bare.PublicIp));

        var allocation = await Boto3.CallAsync(endpoint, "ec2", "allocate_address", new { Domain = "vpc" });
        await Boto3.CallAsync(endpoint, "ec2", "associate_address", new { AllocationId = allocation.GetProperty("AllocationId").GetString(), NetworkInterfaceId = eniId });
        var found = Assert.Single(await ec2.DescribeNetworkInterfacesByPrivateIpAsync(privateIp, mac));
        Assert.Equal(eniId, found.NetworkInterfaceId);
        Assert.Equal(allocation.GetProperty("PublicIp").GetString(), found.PublicIp);
        Assert.NotEqual(other, found.NetworkInterfaceId);

        Assert.Empty(await ec2.DescribeNetworkInterfacesByPrivateIpAsync(net + ".251"));
    }
}
