using Amazon.CDK.AWS.EC2;
using Constructs;

namespace Lilium.Infra.Constructs;

/// <summary>
/// VPC over two AZs: public subnets for relay tasks, the load balancer and one NAT instance;
/// private subnets (egress through the NAT instance) for the Lambdas; isolated subnets for the
/// database. A NAT *instance* (t4g.nano) rather than a NAT gateway: about $7/month with its
/// public IPv4 against $33, and <c>pause --minimal</c> can stop it (docs/infra.md).
/// </summary>
public sealed class Network : Construct
{
    /// <param name="withNat">False in minimal mode: the template keeps the same subnets (nothing is replaced) but holds no
    /// NAT instance and no default route through it, so nothing here bills by the hour.</param>
    public Network(Construct scope, string id, bool withNat = true) : base(scope, id)
    {
        var nat = NatProvider.InstanceV2(new NatInstanceProps
        {
            InstanceType = InstanceType.Of(InstanceClass.T4G, InstanceSize.NANO),
            DefaultAllowedTraffic = NatTrafficDirection.OUTBOUND_ONLY,
        });
        Vpc = new Vpc(this, "Vpc", new VpcProps
        {
            MaxAzs = 2,
            NatGateways = 1,
            NatGatewayProvider = nat,
            SubnetConfiguration =
            [
                new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 },
                new SubnetConfiguration { Name = "functions", SubnetType = SubnetType.PRIVATE_WITH_EGRESS, CidrMask = 24 },
                new SubnetConfiguration { Name = "data", SubnetType = SubnetType.PRIVATE_ISOLATED, CidrMask = 24 },
            ],
        });
        NatInstance = nat;
        if (!withNat)
        {
            RemoveNatInstance();
        }

        // DynamoDB through a gateway endpoint: free, and keeps that traffic off the NAT.
        Vpc.AddGatewayEndpoint("DynamoDb", new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.DYNAMODB });
    }

    public IVpc Vpc { get; }

    public NatInstanceProviderV2 NatInstance { get; }

    private void RemoveNatInstance()
    {
        // The provider's instance and the private subnets' default routes through it; its role, profile and security
        // group stay (free), so resuming changes nothing else.
        foreach (var construct in Vpc.Node.FindAll().ToList())
        {
            if (construct.Node.DefaultChild is null && construct is CfnRoute { InstanceId: not null } or CfnInstance)
            {
                construct.Node.Scope!.Node.TryRemoveChild(construct.Node.Id);
            }
        }
    }
}
