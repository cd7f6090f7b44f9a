using Amazon.CDK;

namespace Lilium.Infra;

/// <summary>What an operator can choose at deploy time, from CDK context (<c>-c key=value</c> or cdk.json).</summary>
public sealed class LiliumStackProps : StackProps
{
    /// <summary>Folder with the api Lambda's <c>bootstrap</c> (made by <c>make lambdas</c>).</summary>
    public required string ApiBundle { get; init; }

    /// <summary>Folder with the signaling Lambda's <c>bootstrap</c>.</summary>
    public required string SignalingBundle { get; init; }

    /// <summary>The relay container image; default: the stack's own ECR repository, tag <c>latest</c>.</summary>
    public string? RelayImage { get; init; }

    /// <summary>
    /// What runs and bills by the hour (<c>-c mode=active|paused|minimal</c>, set by <c>make deploy|pause|resume</c>):
    /// see <see cref="DeploymentMode"/>.
    /// </summary>
    public DeploymentMode Mode { get; init; } = DeploymentMode.Active;

    /// <summary>The web app's built files, deployed to the site bucket when they exist (default client-sdk/web/dist).</summary>
    public string? WebDist { get; init; }

    /// <summary>An ACM certificate for HTTPS on the load balancer; without one it listens on HTTP only.</summary>
    public string? CertificateArn { get; init; }

    /// <summary>
    /// Deploying to the LocalStack-compatible endpoint (<c>-c localEndpoint=true</c>, set by scripts/deploy-local.sh):
    /// adds only what that endpoint needs and AWS does not; see docs/infra.md, "Local deploy".
    /// </summary>
    public bool LocalEndpoint { get; init; }

    /// <summary>Log retention in days for every log group.</summary>
    public int LogRetentionDays { get; init; } = 14;

    public static LiliumStackProps FromContext(App app)
    {
        string? Get(string key) => app.Node.TryGetContext(key) as string;
        var root = Get("repoRoot") ?? Directory.GetCurrentDirectory();
        return new LiliumStackProps
        {
            ApiBundle = Get("apiBundle") ?? Path.Combine(root, "artifacts", "lambda", "api"),
            SignalingBundle = Get("signalingBundle") ?? Path.Combine(root, "artifacts", "lambda", "signaling"),
            RelayImage = Get("relayImage"),
            Mode = ParseMode(Get("mode")),
            WebDist = Get("webDist") ?? Path.Combine(root, "client-sdk", "web", "dist"),
            CertificateArn = Get("certificateArn"),
            LocalEndpoint = Get("localEndpoint") == "true",
            Env = new Amazon.CDK.Environment
            {
                Account = System.Environment.GetEnvironmentVariable("CDK_DEFAULT_ACCOUNT"),
                Region = System.Environment.GetEnvironmentVariable("CDK_DEFAULT_REGION"),
            },
        };
    }

    public static DeploymentMode ParseMode(string? value) => value?.ToLowerInvariant() switch
    {
        null or "" or "active" => DeploymentMode.Active,
        "paused" => DeploymentMode.Paused,
        "minimal" => DeploymentMode.Minimal,
        _ => throw new ArgumentException($"mode must be active, paused or minimal, not '{value}'.", nameof(value)),
    };
}

/// <summary>The stack's cost modes; <c>make cost</c> prices each from its synthesized template (docs/costs.md).</summary>
public enum DeploymentMode
{
    /// <summary>Everything: the relay's load balancer (its service's desired count is left to <c>make resume</c>) and the NAT instance.</summary>
    Active,

    /// <summary>No load balancer and no relay task; the control plane (API, signaling, chat) runs through the NAT instance.</summary>
    Paused,

    /// <summary>Nothing billed by the hour: no load balancer, no NAT instance, no public IPv4. The functions cannot leave the
    /// VPC, so the edge answers <c>/v1</c> and <c>/ws</c> with 503 <c>deployment-paused</c>; the data stays.</summary>
    Minimal,
}
