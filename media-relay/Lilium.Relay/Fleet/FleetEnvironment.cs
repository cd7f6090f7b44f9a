using Amazon.Runtime;
using Lilium.Aws;
using Lilium.Aws.Credentials;
using Lilium.Aws.Ec2;
using Lilium.Fleet;

namespace Lilium.Relay.Fleet;

/// <summary>
/// The relay's fleet configuration, read from <see cref="IConfiguration"/> (the environment, or command-line arguments
/// in tests): the fleet settings (<c>CONNECTIONS_TABLE</c>, <c>RELAY_HEARTBEAT_MS</c>, …), <c>RELAY_ID</c>,
/// <c>RELAY_PRIVATE_URL</c>, <c>ECS_CONTAINER_METADATA_URI_V4</c>, <c>ECS_AGENT_URI</c> and the AWS variables the
/// registry's DynamoDB client and the EC2 client use (<c>AWS_REGION</c>, <c>AWS_ENDPOINT_URL[_DYNAMODB|_EC2]</c>, and
/// static keys when given; otherwise the SDK's credential chain: the task role on Fargate).
/// </summary>
internal sealed class FleetEnvironment
{
    private static readonly string[] AwsVariables =
        ["AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"];

    private readonly IConfiguration _configuration;

    public FleetEnvironment(IConfiguration configuration)
    {
        _configuration = configuration;
        Settings = FleetSettings.From(name => configuration[name]);
        RelayId = Text("RELAY_ID") ?? "relay-" + Guid.NewGuid().ToString("N")[..8];
        MetadataUri = Uri.TryCreate(Text("ECS_CONTAINER_METADATA_URI_V4"), UriKind.Absolute, out var metadata) ? metadata : null;
        AgentUri = Uri.TryCreate(Text("ECS_AGENT_URI"), UriKind.Absolute, out var agent) ? agent : null;
        PrivateUrl = Text("RELAY_PRIVATE_URL") is { } url
            ? Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed.AbsoluteUri.EndsWith('/') ? parsed.AbsoluteUri : parsed.AbsoluteUri + "/"
                : throw new FleetConfigurationException($"RELAY_PRIVATE_URL must be an http(s) URL, not '{url}'.")
            : null;
    }

    public FleetSettings Settings { get; }

    /// <summary><c>RELAY_ID</c>, else a random id (replaced by the ECS task id when there is task metadata).</summary>
    public string RelayId { get; }

    public Uri? MetadataUri { get; }

    public Uri? AgentUri { get; }

    /// <summary><c>RELAY_PRIVATE_URL</c>: the base URL other relays reach this one on, ending in <c>/</c>.</summary>
    public string? PrivateUrl { get; }

    /// <summary>The registry, when <c>CONNECTIONS_TABLE</c> names a table; null: a single relay, no fleet.</summary>
    public RelayRegistry? CreateRegistry(TimeProvider time)
    {
        if (Settings.Table is not { } table)
        {
            return null;
        }

        var endpoint = Text("AWS_ENDPOINT_URL_DYNAMODB") ?? Text("AWS_ENDPOINT_URL");
        var region = Text("AWS_REGION") ?? Text("AWS_DEFAULT_REGION");
        AWSCredentials? credentials = Text("AWS_ACCESS_KEY_ID") is { } key && Text("AWS_SECRET_ACCESS_KEY") is { } secret
            ? Text("AWS_SESSION_TOKEN") is { } token ? new SessionAWSCredentials(key, secret, token) : new BasicAWSCredentials(key, secret)
            : null;
        // With an endpoint override the SDK signs for the region given (us-east-1 when none is); without one it
        // resolves the region itself (AWS_REGION, set by ECS).
        var dynamo = DynamoDbClients.Create(endpoint, credentials, endpoint is null ? null : region ?? "us-east-1");
        return new RelayRegistry(dynamo, table, time, Settings.LiveWindow);
    }

    /// <summary>The EC2 client for the relay's own network interface.</summary>
    public Ec2Client CreateEc2(HttpClient http)
    {
        var settings = AwsSettings.From(AwsVariables.ToDictionary(v => v, v => Text(v), StringComparer.Ordinal));
        IAwsCredentialsProvider credentials = Text("AWS_ACCESS_KEY_ID") is { } key && Text("AWS_SECRET_ACCESS_KEY") is { } secret
            ? new StaticCredentialsProvider(key, secret, Text("AWS_SESSION_TOKEN"))
            : new SdkCredentialsProvider();
        return new Ec2Client(new AwsContext(http, settings, credentials));
    }

    private string? Text(string name) => _configuration[name] is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
}
