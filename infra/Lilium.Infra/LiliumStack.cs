using Amazon.CDK;
using Amazon.CDK.AWS.Logs;
using Constructs;
using Lilium.Infra.Constructs;

namespace Lilium.Infra;

/// <summary>The whole deployment. Wiring only: each concern is its own construct.</summary>
public sealed class LiliumStack : Stack
{
    public LiliumStack(Construct scope, string id, LiliumStackProps props) : base(scope, id, props)
    {
        var retention = (RetentionDays)Enum.Parse(typeof(RetentionDays), RetentionName(props.LogRetentionDays));
        var mode = props.Mode;
        var network = new Network(this, "Network", withNat: mode != DeploymentMode.Minimal);
        var data = new Data(this, "Data", network.Vpc, props.LocalEndpoint);
        var control = new ControlPlane(this, "ControlPlane", new ControlPlaneProps(network.Vpc, data, props.ApiBundle, props.SignalingBundle, retention, MigrateOnDeploy: !props.LocalEndpoint));
        var media = new MediaPlane(this, "MediaPlane", new MediaPlaneProps(network.Vpc, data.RelayKey, props.RelayImage, LoadBalanced: mode == DeploymentMode.Active, props.CertificateArn, retention,
            ControlPlaneUrl: control.HttpApi.ApiEndpoint + "/", data.Connections));
        control.AddRelayFleet(media);
        _ = new Observability(this, "Observability", control, media);
        var web = new WebFront(this, "Web", new WebFrontProps(
            control,
            props.WebDist,
            media.LoadBalancer?.LoadBalancerDnsName,
            RelayOriginHttps: props.CertificateArn is not null,
            ControlPlaneOff: mode == DeploymentMode.Minimal));

        PinHandlerRuntimes();

        Output("AppUrl", web.AppUrl, "The app, the API (/v1), signaling (/ws) and the relay (/whip, /whep) on one HTTPS origin");
        Output("Mode", mode.ToString().ToLowerInvariant(), "active | paused | minimal (make pause / resume)");
        Output("HttpApiUrl", control.HttpApi.ApiEndpoint, "REST API base URL");
        Output("WebSocketUrl", control.WebSocketStage.Url, "Signaling WebSocket URL");
        if (media.LoadBalancer is { } alb)
        {
            // Admitted viewers get the relay's URL with their grant (join.accepted): the HTTPS origin, which forwards
            // /whip and /whep to the load balancer.
            control.SignalingFunction.AddEnvironment("RELAY_URL", web.AppUrl);
            Output("AlbUrl", $"http{(props.CertificateArn is null ? "" : "s")}://{alb.LoadBalancerDnsName}", "Media relay load balancer (behind AppUrl's /whip and /whep)");
        }

        Output("ClusterName", media.Cluster.ClusterName, "ECS cluster of the relay");
        Output("ServiceName", media.Service.ServiceName, "ECS service of the relay (pause/resume scale it)");
        Output("DatabaseClusterId", data.Database.ClusterIdentifier, "Aurora cluster");
        Output("TokenKeysSecretArn", data.TokenKeys.SecretArn, "Signing keys secret (ARN only)");
        Output("RelayKeySecretArn", data.RelayKey.SecretArn, "Relay grant key secret, the relay's only secret (ARN only)");
        if (mode != DeploymentMode.Minimal)
        {
            Output("NatInstanceId", network.NatInstance.ConfiguredGateways[0].GatewayId, "NAT instance (absent in minimal mode)");
        }

        if (media.Repository is { } repository)
        {
            Output("RelayRepositoryUri", repository.RepositoryUri, "Push the relay image here (tag latest)");
        }
    }

    /// <summary>
    /// CDK 2.160's own handlers (the site bucket's object deletion, the BucketDeployment) name runtimes Lambda no longer
    /// creates (nodejs20.x, python3.11; cfn-lint E2533): the stack could not be deployed. Their code runs on the
    /// current runtimes (Node's bundled AWS SDK v3; the AWS CLI layer is pure Python).
    /// </summary>
    private void PinHandlerRuntimes()
    {
        foreach (var resource in Node.FindAll().OfType<CfnResource>().Where(r => r.CfnResourceType == "AWS::Lambda::Function"))
        {
            var path = resource.Node.Path;
            if (path.Contains("Custom::S3AutoDeleteObjectsCustomResourceProvider", StringComparison.Ordinal))
            {
                resource.AddPropertyOverride("Runtime", "nodejs22.x");
            }
            else if (path.Contains("Custom::CDKBucketDeployment", StringComparison.Ordinal))
            {
                resource.AddPropertyOverride("Runtime", "python3.12");
            }
        }
    }

    private void Output(string name, string value, string description) =>
        _ = new CfnOutput(this, name, new CfnOutputProps { Value = value, Description = description });

    private static string RetentionName(int days) => days switch
    {
        1 => "ONE_DAY",
        3 => "THREE_DAYS",
        5 => "FIVE_DAYS",
        7 => "ONE_WEEK",
        14 => "TWO_WEEKS",
        30 => "ONE_MONTH",
        90 => "THREE_MONTHS",
        _ => throw new ArgumentOutOfRangeException(nameof(days), days, "Use 1, 3, 5, 7, 14, 30 or 90 days."),
    };
}
