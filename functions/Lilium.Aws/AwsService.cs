namespace Lilium.Aws;

/// <summary>
/// An AWS service as the clients need it: its SDK service id (which names the per-service endpoint
/// variable), the SigV4 signing name, and the endpoint prefix of its default host.
/// </summary>
public sealed record AwsService(string ServiceId, string SigningName, string EndpointPrefix)
{
    public static readonly AwsService SecretsManager = new("Secrets Manager", "secretsmanager", "secretsmanager");

    public static readonly AwsService Ecs = new("ECS", "ecs", "ecs");

    public static readonly AwsService CloudFormation = new("CloudFormation", "cloudformation", "cloudformation");

    public static readonly AwsService Ec2 = new("EC2", "ec2", "ec2");

    public static readonly AwsService ApiGatewayManagementApi = new("ApiGatewayManagementApi", "execute-api", "execute-api");

    /// <summary>
    /// <c>AWS_ENDPOINT_URL_&lt;SERVICE&gt;</c>: the service id upper-cased with spaces as underscores
    /// (AWS SDKs and tools reference, "Service-specific endpoints").
    /// </summary>
    public string EndpointVariable => "AWS_ENDPOINT_URL_" + ServiceId.ToUpperInvariant().Replace(' ', '_');
}
