using Amazon.CDK;
using Amazon.CDK.AWS.CertificateManager;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ECR;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.SecretsManager;
using Constructs;

namespace Lilium.Infra.Constructs;

public sealed record MediaPlaneProps(IVpc Vpc, ISecret TokenKeys, string? RelayImage, int DesiredCount, string? CertificateArn, RetentionDays Retention);

/// <summary>
/// The media relay on Fargate: tasks in public subnets with public IPs (ICE-lite needs a reachable
/// address), UDP 7882 open to the world for media, HTTP 8080 reachable only from the load balancer,
/// which serves WHIP/WHEP. The relay key reaches the container as an ECS secret, not a value.
/// </summary>
public sealed class MediaPlane : Construct
{
    public const int HttpPort = 8080;
    public const int MediaPort = 7882;

    public MediaPlane(Construct scope, string id, MediaPlaneProps props) : base(scope, id)
    {
        Cluster = new Cluster(this, "Cluster", new ClusterProps { Vpc = props.Vpc, ContainerInsights = false });

        var task = new FargateTaskDefinition(this, "RelayTask", new FargateTaskDefinitionProps
        {
            Cpu = 1024,
            MemoryLimitMiB = 2048,
            RuntimePlatform = new RuntimePlatform { CpuArchitecture = CpuArchitecture.X86_64, OperatingSystemFamily = OperatingSystemFamily.LINUX },
        });

        ContainerImage image;
        if (props.RelayImage is { Length: > 0 } uri)
        {
            image = ContainerImage.FromRegistry(uri);
        }
        else
        {
            Repository = new Repository(this, "RelayRepository", new RepositoryProps { RemovalPolicy = RemovalPolicy.DESTROY, ImageScanOnPush = true });
            image = ContainerImage.FromEcrRepository(Repository, "latest");
        }

        var container = task.AddContainer("relay", new ContainerDefinitionOptions
        {
            Image = image,
            Logging = LogDriver.AwsLogs(new AwsLogDriverProps
            {
                StreamPrefix = "relay",
                LogGroup = new LogGroup(this, "RelayLogs", new LogGroupProps { Retention = props.Retention, RemovalPolicy = RemovalPolicy.DESTROY }),
            }),
            Environment = new Dictionary<string, string>
            {
                ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{HttpPort}",
                ["RELAY_BIND_ADDRESS"] = "0.0.0.0",
                ["RELAY_MEDIA_PORT"] = MediaPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["RELAY_STUN_SERVER"] = "stun.l.google.com:19302",
            },
            Secrets = new Dictionary<string, Amazon.CDK.AWS.ECS.Secret> { ["TOKEN_KEYS"] = Amazon.CDK.AWS.ECS.Secret.FromSecretsManager(props.TokenKeys) },
            StopTimeout = Duration.Seconds(60),
        });
        container.AddPortMappings(
            new PortMapping { ContainerPort = HttpPort, Protocol = global::Amazon.CDK.AWS.ECS.Protocol.TCP },
            new PortMapping { ContainerPort = MediaPort, Protocol = global::Amazon.CDK.AWS.ECS.Protocol.UDP });

        var albSg = new SecurityGroup(this, "AlbSg", new SecurityGroupProps { Vpc = props.Vpc, Description = "Load balancer: HTTP(S) from anywhere", AllowAllOutbound = false });
        var listenerPort = props.CertificateArn is null ? 80 : 443;
        albSg.AddIngressRule(Peer.AnyIpv4(), Port.Tcp(listenerPort), "WHIP/WHEP");

        var taskSg = new SecurityGroup(this, "RelaySg", new SecurityGroupProps { Vpc = props.Vpc, Description = "Relay tasks: media from anywhere, HTTP from the load balancer", AllowAllOutbound = true });
        taskSg.AddIngressRule(Peer.AnyIpv4(), Port.Udp(MediaPort), "WebRTC media (ICE, DTLS, SRTP, SCTP)");
        taskSg.AddIngressRule(albSg, Port.Tcp(HttpPort), "WHIP/WHEP from the load balancer");
        albSg.AddEgressRule(taskSg, Port.Tcp(HttpPort), "to the relay tasks");

        Service = new FargateService(this, "Relay", new FargateServiceProps
        {
            Cluster = Cluster,
            TaskDefinition = task,
            DesiredCount = props.DesiredCount,
            AssignPublicIp = true,
            VpcSubnets = new SubnetSelection { SubnetType = SubnetType.PUBLIC },
            SecurityGroups = [taskSg],
            MinHealthyPercent = 0,
            MaxHealthyPercent = 200,
            CircuitBreaker = new DeploymentCircuitBreaker { Rollback = true },
        });

        LoadBalancer = new ApplicationLoadBalancer(this, "Alb", new ApplicationLoadBalancerProps
        {
            Vpc = props.Vpc,
            InternetFacing = true,
            SecurityGroup = albSg,
            IdleTimeout = Duration.Seconds(300),
        });
        var listener = props.CertificateArn is { } arn
            ? LoadBalancer.AddListener("Https", new BaseApplicationListenerProps
            {
                Port = 443,
                Certificates = [ListenerCertificate.FromCertificateManager(Certificate.FromCertificateArn(this, "Cert", arn))],
                Open = false,
            })
            : LoadBalancer.AddListener("Http", new BaseApplicationListenerProps { Port = 80, Open = false });
        TargetGroup = listener.AddTargets("Relay", new AddApplicationTargetsProps
        {
            Port = HttpPort,
            Protocol = ApplicationProtocol.HTTP,
            Targets = [Service],
            HealthCheck = new Amazon.CDK.AWS.ElasticLoadBalancingV2.HealthCheck { Path = "/health", Interval = Duration.Seconds(15), HealthyThresholdCount = 2 },
            DeregistrationDelay = Duration.Seconds(30),
        });
    }

    public Cluster Cluster { get; }

    public FargateService Service { get; }

    public ApplicationLoadBalancer LoadBalancer { get; }

    public ApplicationTargetGroup TargetGroup { get; }

    public Repository? Repository { get; }
}
