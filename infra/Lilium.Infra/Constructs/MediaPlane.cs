using Amazon.CDK;
using Amazon.CDK.AWS.CertificateManager;
using Amazon.CDK.AWS.DynamoDB;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ECR;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.SecretsManager;
using Constructs;

namespace Lilium.Infra.Constructs;

/// <param name="LoadBalanced">
/// Active mode: the load balancer exists and the service's desired count is not in the template (deploys never change a
/// running service's count; <c>make resume</c>/<c>pause</c> set it). Otherwise no load balancer and the count is 0.
/// </param>
/// <param name="Connections">The connections table, which holds the relay registry (<c>pk = R#relays</c>; issue 24).</param>
public sealed record MediaPlaneProps(IVpc Vpc, ISecret RelayKey, string? RelayImage, bool LoadBalanced, string? CertificateArn, RetentionDays Retention, string ControlPlaneUrl,
    ITable Connections);

/// <summary>
/// The media relay on Fargate (ARM64, Graviton: the same vCPU and memory cost about 20 % less than x86, and the image is
/// a linux-arm64 Native AOT build, scripts/relay-image.sh): tasks in public subnets with public IPs (ICE-lite needs a
/// reachable address), UDP 7882 open to the world for media and TCP 443 for ICE-TCP (viewers on networks that block UDP),
/// HTTP 8080 reachable only from the load balancer, which serves WHIP/WHEP. The relay key, from a secret of its own, reaches the container as an ECS secret, not a value.
/// </summary>
public sealed class MediaPlane : Construct
{
    public const int HttpPort = 8080;
    private static readonly string[] RegistryPartition = ["R#relays"];
    public const int MediaPort = 7882;

    /// <summary>
    /// What "a relay is starting" answers estimate on Fargate (<c>RELAY_START_ESTIMATE_S</c>): capacity and network
    /// interface, image pull and start, the relay's address discovery, two passing load balancer health checks
    /// (docs/relay.md, "Fargate: scale from zero and recovery").
    /// </summary>
    public const int FargateStartEstimateSeconds = 60;

    /// <summary>The load balancer's health check: every 5 s, 2 passes to take a task, 2 failures to drop it.</summary>
    public const int HealthCheckIntervalSeconds = 5;
    /// <summary>ICE-TCP (RFC 6544 passive candidate): 443, the port networks that block UDP still let out.</summary>
    public const int IceTcpPort = 443;

    public MediaPlane(Construct scope, string id, MediaPlaneProps props) : base(scope, id)
    {
        Cluster = new Cluster(this, "Cluster", new ClusterProps { Vpc = props.Vpc, ContainerInsights = false });

        var task = new FargateTaskDefinition(this, "RelayTask", new FargateTaskDefinitionProps
        {
            Cpu = 1024,
            MemoryLimitMiB = 2048,
            RuntimePlatform = new RuntimePlatform { CpuArchitecture = CpuArchitecture.ARM64, OperatingSystemFamily = OperatingSystemFamily.LINUX },
        });

        ContainerImage image;
        if (props.RelayImage is { Length: > 0 } uri)
        {
            image = ContainerImage.FromRegistry(uri);
        }
        else
        {
            // Emptied and deleted with the stack; keeps the newest five images (each push of `latest` leaves the previous
            // one untagged).
            Repository = new Repository(this, "RelayRepository", new RepositoryProps
            {
                RemovalPolicy = RemovalPolicy.DESTROY,
                EmptyOnDelete = true,
                ImageScanOnPush = true,
                LifecycleRules = [new LifecycleRule { Description = "keep the newest 5 images", MaxImageCount = 5, TagStatus = TagStatus.ANY }],
            });
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
                // Below 1024: the image's relay executable carries cap_net_bind_service as a file capability, so its
                // non-root user may bind it (docs/relay.md, "ICE-TCP").
                ["RELAY_TCP_PORT"] = IceTcpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["RELAY_STUN_SERVER"] = "stun.l.google.com:19302",
                // The revocation feed (kicks, blocks, grant changes, session ends) the relay polls (docs/decisions.md, D18).
                ["RELAY_CONTROL_PLANE_URL"] = props.ControlPlaneUrl,
                // WHIP/WHEP arrive through the load balancer, inside the VPC: its X-Forwarded-For names the client for
                // the per-address peer cap (docs/security.md).
                ["RELAY_TRUSTED_PROXIES"] = props.Vpc.VpcCidrBlock,
                // The fleet (issue 24): the registry the relay heartbeats into. Its id, private IP and public IP come from
                // the task metadata endpoint and its network interface (RELAY_STUN_SERVER is the fallback).
                ["CONNECTIONS_TABLE"] = props.Connections.TableName,
                ["RELAY_HEARTBEAT_MS"] = "1000",
            },
            // Only the relay key: its own secret's relayKey field as RELAY_KEY (ECS reads it with the execution role; the
            // task role gets no secret at all).
            Secrets = new Dictionary<string, Amazon.CDK.AWS.ECS.Secret> { ["RELAY_KEY"] = Amazon.CDK.AWS.ECS.Secret.FromSecretsManager(props.RelayKey, Data.RelayKeyField) },
            StopTimeout = Duration.Seconds(60),
        });
        container.AddPortMappings(
            new PortMapping { ContainerPort = HttpPort, Protocol = global::Amazon.CDK.AWS.ECS.Protocol.TCP },
            new PortMapping { ContainerPort = MediaPort, Protocol = global::Amazon.CDK.AWS.ECS.Protocol.UDP },
            new PortMapping { ContainerPort = IceTcpPort, Protocol = global::Amazon.CDK.AWS.ECS.Protocol.TCP });

        // The task role: its own registry items only (the R#relays partition of the connections table), its network
        // interface's public IP, and its own scale-in protection (through the ECS agent endpoint).
        task.TaskRole.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "RelayRegistry",
            Actions = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:Query"],
            Resources = [props.Connections.TableArn],
            Conditions = new Dictionary<string, object>
            {
                ["ForAllValues:StringEquals"] = new Dictionary<string, object> { ["dynamodb:LeadingKeys"] = RegistryPartition },
            },
        }));
        task.TaskRole.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "OwnPublicIp",
            Actions = ["ec2:DescribeNetworkInterfaces"],
            Resources = ["*"], // a Describe action takes no resource ARN
        }));
        task.TaskRole.AddToPrincipalPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "ScaleInProtection",
            Actions = ["ecs:UpdateTaskProtection", "ecs:GetTaskProtection"],
            Resources = [Stack.Of(this).FormatArn(new ArnComponents { Service = "ecs", Resource = "task", ResourceName = Cluster.ClusterName + "/*", ArnFormat = ArnFormat.SLASH_RESOURCE_NAME })],
        }));

        var taskSg = new SecurityGroup(this, "RelaySg", new SecurityGroupProps { Vpc = props.Vpc, Description = "Relay tasks: media from anywhere, HTTP from the load balancer", AllowAllOutbound = true });
        taskSg.AddIngressRule(Peer.AnyIpv4(), Port.Udp(MediaPort), "WebRTC media (ICE, DTLS, SRTP, SCTP)");
        // A WHIP/WHEP request that reaches a task not owning its session is forwarded to the owner's private address.
        taskSg.AddIngressRule(taskSg, Port.Tcp(HttpPort), "WHIP/WHEP forwarded between relay tasks (grant rid)");
        taskSg.AddIngressRule(Peer.AnyIpv4(), Port.Tcp(IceTcpPort), "WebRTC media over ICE-TCP (networks that block UDP)");

        Service = new FargateService(this, "Relay", new FargateServiceProps
        {
            Cluster = Cluster,
            TaskDefinition = task,
            DesiredCount = props.LoadBalanced ? null : 0,
            AssignPublicIp = true,
            VpcSubnets = new SubnetSelection { SubnetType = SubnetType.PUBLIC },
            SecurityGroups = [taskSg],
            MinHealthyPercent = 0,
            MaxHealthyPercent = 200,
            CircuitBreaker = new DeploymentCircuitBreaker { Rollback = true },
        });

        if (!props.LoadBalanced)
        {
            return;
        }

        var albSg = new SecurityGroup(this, "AlbSg", new SecurityGroupProps { Vpc = props.Vpc, Description = "Load balancer: HTTP(S) from anywhere", AllowAllOutbound = false });
        var listenerPort = props.CertificateArn is null ? 80 : 443;
        albSg.AddIngressRule(Peer.AnyIpv4(), Port.Tcp(listenerPort), "WHIP/WHEP");
        taskSg.AddIngressRule(albSg, Port.Tcp(HttpPort), "WHIP/WHEP from the load balancer");
        albSg.AddEgressRule(taskSg, Port.Tcp(HttpPort), "to the relay tasks");

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
            // /health answers 200 only once the relay knows its address (ready), 503 while starting or draining: a new
            // task takes traffic after two passes 5 s apart.
            HealthCheck = new Amazon.CDK.AWS.ElasticLoadBalancingV2.HealthCheck
            {
                Path = "/health",
                Interval = Duration.Seconds(HealthCheckIntervalSeconds),
                Timeout = Duration.Seconds(4),
                HealthyThresholdCount = 2,
                UnhealthyThresholdCount = 2,
            },
            DeregistrationDelay = Duration.Seconds(30),
        });
    }

    public Cluster Cluster { get; }

    public FargateService Service { get; }

    /// <summary>Null in the paused and minimal modes.</summary>
    public ApplicationLoadBalancer? LoadBalancer { get; }

    public ApplicationTargetGroup? TargetGroup { get; }

    public Repository? Repository { get; }
}
