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

    /// <summary>Relay tasks at deploy time; 0 (the default) keeps the media plane paused until <c>make resume</c>.</summary>
    public int RelayDesiredCount { get; init; }

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
            RelayDesiredCount = int.TryParse(Get("relayDesiredCount"), out var n) && n >= 0 ? n : 0,
            CertificateArn = Get("certificateArn"),
            LocalEndpoint = Get("localEndpoint") == "true",
            Env = new Amazon.CDK.Environment
            {
                Account = System.Environment.GetEnvironmentVariable("CDK_DEFAULT_ACCOUNT"),
                Region = System.Environment.GetEnvironmentVariable("CDK_DEFAULT_REGION"),
            },
        };
    }
}
