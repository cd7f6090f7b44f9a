using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AwsApigatewayv2Integrations;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.IAM;
using LambdaFunctionTarget = Amazon.CDK.AWS.Events.Targets.LambdaFunction;
using Amazon.CDK.AWS.Lambda;
using Amazon.CDK.AWS.Logs;
using Constructs;
using Lilium.Protocol.Signaling;

namespace Lilium.Infra.Constructs;

/// <param name="MigrateOnDeploy">
/// Apply the database migrations on every deploy (a custom resource). Off only for the LocalStack-compatible
/// endpoint, whose CloudFormation would invoke the function in a Docker container this machine does not have.
/// </param>
public sealed record ControlPlaneProps(IVpc Vpc, Data Data, string ApiBundle, string SignalingBundle, RetentionDays Retention, bool MigrateOnDeploy = true);

/// <summary>
/// The serverless control plane: HTTP API → api Lambda, WebSocket API → signaling Lambda, both
/// custom-runtime (provided.al2023) bundles built by <c>make lambdas</c>, in the private subnets,
/// with stage throttling and access logs. Secrets reach the functions as ARNs, never values.
/// </summary>
public sealed class ControlPlane : Construct
{
    private static readonly string[] StoppedStatus = ["STOPPED"];
    private readonly Amazon.CDK.AWS.DynamoDB.ITable _connections;

    public ControlPlane(Construct scope, string id, ControlPlaneProps props) : base(scope, id)
    {
        _connections = props.Data.Connections;
        var functionsSg = new SecurityGroup(this, "FunctionsSg", new SecurityGroupProps
        {
            Vpc = props.Vpc,
            Description = "Lambdas: outbound only",
            AllowAllOutbound = true,
        });

        Function Lambda(string name, string bundle, string description, string handler = "bootstrap", int timeoutSeconds = 15) => new(this, name, new FunctionProps
        {
            Description = description,
            Runtime = Runtime.PROVIDED_AL2023,
            Architecture = Architecture.X86_64,
            Handler = handler,
            Code = Code.FromAsset(RequireBundle(bundle)),
            MemorySize = 1024,
            Timeout = Duration.Seconds(timeoutSeconds),
            Vpc = props.Vpc,
            VpcSubnets = new SubnetSelection { SubnetType = SubnetType.PRIVATE_WITH_EGRESS },
            SecurityGroups = [functionsSg],
            LogGroup = new LogGroup(this, name + "Logs", new LogGroupProps { Retention = props.Retention, RemovalPolicy = RemovalPolicy.DESTROY }),
            Environment = new Dictionary<string, string>
            {
                ["DB_SECRET_ARN"] = props.Data.Database.Secret!.SecretArn,
                // Amazon RDS's certificate authorities, packaged beside the bootstrap (scripts/rds-ca-bundle.sh): with them the
                // connection to Aurora defaults to VerifyFull, so a host in the path cannot pose as the database.
                ["DB_SSL_ROOT_CERT"] = "/var/task/rds-ca.pem",
                ["TOKEN_KEYS_SECRET_ARN"] = props.Data.TokenKeys.SecretArn,
                ["RELAY_KEY_SECRET_ARN"] = props.Data.RelayKey.SecretArn,
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
            },
        });

        ApiFunction = Lambda("Api", props.ApiBundle, "LiliumShare REST API (ASP.NET Core on the custom runtime)");
        SignalingFunction = Lambda("Signaling", props.SignalingBundle, "LiliumShare WebSocket signaling and chat");

        // The sweeper: the signaling bundle with LILIUM_HANDLER=sweep, once a minute. It ends the sessions of hosts gone
        // past the grace period, closes sockets whose token expired or was revoked, and drops expired challenges,
        // invites and refresh families (docs/security.md). It needs what the signaling function has.
        Sweeper = Lambda("Sweeper", props.SignalingBundle, "LiliumShare sweeper: departed hosts, expired tokens, challenges, invites (every minute)", timeoutSeconds: 55);
        Sweeper.AddEnvironment("LILIUM_HANDLER", "sweep");
        _ = new Rule(this, "SweepSchedule", new RuleProps
        {
            Description = "Runs the LiliumShare sweeper every minute",
            Schedule = Schedule.Rate(Duration.Minutes(1)),
            Targets = [new LambdaFunctionTarget(Sweeper)],
        });

        foreach (var fn in new[] { ApiFunction, SignalingFunction, Sweeper })
        {
            props.Data.GrantDatabase(fn, fn);
            props.Data.TokenKeys.GrantRead(fn);
            props.Data.RelayKey.GrantRead(fn);
        }

        props.Data.Connections.GrantReadWriteData(SignalingFunction);
        props.Data.Connections.GrantReadWriteData(Sweeper);

        var apiIntegration = new HttpLambdaIntegration("ApiIntegration", ApiFunction);
        HttpApi = new HttpApi(this, "HttpApi", new HttpApiProps
        {
            Description = "LiliumShare REST API",
            DefaultIntegration = apiIntegration,
        });

        // The anonymous routes that cost a signature check or a database write are routes of their own, so each has a
        // throttle of its own: a flood of registrations or sign-ins cannot spend the budget of everything else.
        var throttledRoutes = new List<IDependable>();
        foreach (var (path, _, _) in HttpRouteThrottles)
        {
            throttledRoutes.AddRange(HttpApi.AddRoutes(new AddRoutesOptions { Path = path, Methods = [Amazon.CDK.AWS.Apigatewayv2.HttpMethod.POST], Integration = apiIntegration }));
        }

        var httpStage = (CfnStage)HttpApi.DefaultStage!.Node.DefaultChild!;
        ConfigureStage(httpStage, "HttpApiAccess", props.Retention, rate: 200, burst: 400,
            "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"method\":\"$context.httpMethod\",\"path\":\"$context.path\",\"status\":\"$context.status\",\"latencyMs\":\"$context.responseLatency\"}");
        httpStage.RouteSettings = RouteSettings(HttpRouteThrottles.Select(t => ($"POST {t.Path}", t.Rate, t.Burst)));
        httpStage.Node.AddDependency([.. throttledRoutes]);

        var integration = new WebSocketLambdaIntegration("SignalingIntegration", SignalingFunction);
        WebSocketApi = new WebSocketApi(this, "WebSocketApi", new WebSocketApiProps
        {
            Description = "LiliumShare signaling and chat",
            RouteSelectionExpression = "$request.body.action",
            ConnectRouteOptions = new WebSocketRouteOptions { Integration = integration },
            DisconnectRouteOptions = new WebSocketRouteOptions { Integration = integration },
            DefaultRouteOptions = new WebSocketRouteOptions { Integration = integration },
        });
        // Every client action of the protocol is its own route (per-route metrics and throttling); anything else reaches
        // $default, where the handler answers unknown-action.
        foreach (var action in SignalingProtocol.ClientActions)
        {
            WebSocketApi.AddRoute(action, new WebSocketRouteOptions { Integration = integration });
        }

        WebSocketStage = new WebSocketStage(this, "WebSocketStage", new WebSocketStageProps
        {
            WebSocketApi = WebSocketApi,
            StageName = WebSocketStageName,
            AutoDeploy = true,
        });
        var wsStage = (CfnStage)WebSocketStage.Node.DefaultChild!;
        ConfigureStage(wsStage, "WebSocketAccess", props.Retention, rate: 500, burst: 1000,
            "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"route\":\"$context.routeKey\",\"event\":\"$context.eventType\",\"connection\":\"$context.connectionId\",\"status\":\"$context.status\"}");
        wsStage.RouteSettings = RouteSettings(WebSocketRouteThrottles);
        foreach (var fn in new[] { SignalingFunction, Sweeper })
        {
            WebSocketStage.GrantManagementApiAccess(fn);
            fn.AddEnvironment("CONNECTIONS_TABLE", props.Data.Connections.TableName);
            fn.AddEnvironment("WS_MANAGEMENT_ENDPOINT", WebSocketStage.CallbackUrl);
        }

        if (props.MigrateOnDeploy)
        {
            AddMigrations(props, Lambda("Migrations", props.ApiBundle, "LiliumShare database migrations (custom resource; the api bundle's migrate handler)",
                handler: MigrationsHandler, timeoutSeconds: 300));
        }
    }

    /// <summary>The WebSocket stage, also the path CloudFront forwards to it unchanged (<c>wss://{domain}/ws</c>).</summary>
    public const string WebSocketStageName = "ws";

    /// <summary>The api bundle's handler name that runs the migrations custom resource (Lilium.Api.MigrationsFunction).</summary>
    public const string MigrationsHandler = "migrate";

    /// <summary>
    /// The relay fleet (issue 24): the API (placement at session creation) and signaling (the fleet tick in the sweep)
    /// read the relay registry and change the relay service's desired count; ECS's task-stopped event runs the sweep
    /// at once, so a dead task's sessions move without waiting for the minute's schedule.
    /// </summary>
    public void AddRelayFleet(MediaPlane media)
    {
        foreach (var fn in new[] { ApiFunction, SignalingFunction, Sweeper })
        {
            fn.AddEnvironment("RELAY_CLUSTER", media.Cluster.ClusterName);
            fn.AddEnvironment("RELAY_SERVICE", media.Service.ServiceName);
            fn.AddEnvironment("RELAY_START_ESTIMATE_S", MediaPlane.FargateStartEstimateSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            fn.AddToRolePolicy(new PolicyStatement(new PolicyStatementProps
            {
                Sid = "RelayServiceScale",
                Actions = ["ecs:UpdateService", "ecs:DescribeServices"],
                Resources = [media.Service.ServiceArn],
            }));
        }

        // The API places sessions: it reads the registry (signaling and the sweeper already read and write the table).
        ApiFunction.AddEnvironment("CONNECTIONS_TABLE", _connections.TableName);
        _connections.GrantReadData(ApiFunction);

        _ = new Rule(this, "RelayTaskStopped", new RuleProps
        {
            Description = "A relay task stopped: run the sweep now (re-place its sessions)",
            EventPattern = new EventPattern
            {
                Source = ["aws.ecs"],
                DetailType = ["ECS Task State Change"],
                Detail = new Dictionary<string, object>
                {
                    ["clusterArn"] = new[] { media.Cluster.ClusterArn },
                    ["lastStatus"] = StoppedStatus,
                },
            },
            Targets = [new LambdaFunctionTarget(Sweeper)],
        });
    }

    public Function ApiFunction { get; }

    /// <summary>The signaling bundle run as the once-a-minute sweeper (<c>LILIUM_HANDLER=sweep</c>).</summary>
    public Function Sweeper { get; }

    public Function SignalingFunction { get; }

    public HttpApi HttpApi { get; }

    public WebSocketApi WebSocketApi { get; }

    public WebSocketStage WebSocketStage { get; }

    /// <summary>
    /// Migrations on every deploy that changes the api bundle: the custom resource carries the bundle's hash, so new
    /// code means an Update, which applies whatever is pending (under the migrator's advisory lock) before
    /// CloudFormation moves on. The functions depend on it, so new code never meets an old schema.
    /// </summary>
    private void AddMigrations(ControlPlaneProps props, Function migrations)
    {
        props.Data.GrantDatabase(migrations, migrations);
        var resource = new CustomResource(this, "DatabaseMigrations", new CustomResourceProps
        {
            ServiceToken = migrations.FunctionArn,
            ResourceType = "Custom::LiliumMigrations",
            Properties = new Dictionary<string, object> { ["BundleSha256"] = BundleHash(props.ApiBundle) },
        });
        resource.Node.AddDependency(props.Data.Database);
        ApiFunction.Node.AddDependency(resource);
        SignalingFunction.Node.AddDependency(resource);
        Sweeper.Node.AddDependency(resource);
    }

    private static string BundleHash(string folder)
    {
        using var bootstrap = File.OpenRead(Path.Combine(folder, "bootstrap"));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bootstrap));
    }

    /// <summary>
    /// REST routes with a throttle of their own (requests per second, burst), tighter than the stage's 200/400: the
    /// anonymous ones that verify a signature or write (the API's own per-address and per-user limiters sit behind them).
    /// </summary>
    public static readonly (string Path, int Rate, int Burst)[] HttpRouteThrottles =
    [
        ("/v1/users", 10, 20),
        ("/v1/auth/challenge", 50, 100),
        ("/v1/auth/token", 50, 100),
        ("/v1/auth/refresh", 50, 100),
    ];

    /// <summary>
    /// WebSocket routes with a throttle of their own, tighter than the stage's 500/1000: opening a connection verifies a
    /// token and writes the table; asking to join and opening chats fan out to other users.
    /// </summary>
    public static readonly (string Route, int Rate, int Burst)[] WebSocketRouteThrottles =
    [
        ("$connect", 50, 100),
        (Actions.JoinRequest, 50, 100),
        (Actions.ChatHello, 100, 200),
    ];

    private static Dictionary<string, object> RouteSettings(IEnumerable<(string Route, int Rate, int Burst)> throttles) =>
        throttles.ToDictionary(t => t.Route, t => (object)new Dictionary<string, object> { ["ThrottlingRateLimit"] = t.Rate, ["ThrottlingBurstLimit"] = t.Burst });

    private void ConfigureStage(CfnStage stage, string logName, RetentionDays retention, int rate, int burst, string format)
    {
        var log = new LogGroup(this, logName, new LogGroupProps { Retention = retention, RemovalPolicy = RemovalPolicy.DESTROY });
        stage.AccessLogSettings = new CfnStage.AccessLogSettingsProperty { DestinationArn = log.LogGroupArn, Format = format };
        stage.DefaultRouteSettings = new CfnStage.RouteSettingsProperty { ThrottlingRateLimit = rate, ThrottlingBurstLimit = burst };
    }

    private static string RequireBundle(string folder) =>
        File.Exists(Path.Combine(folder, "bootstrap"))
            ? folder
            : throw new InvalidOperationException($"No Lambda bundle at {folder} (expected {folder}/bootstrap): run 'make lambdas' first.");
}
