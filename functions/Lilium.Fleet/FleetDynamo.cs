using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Lilium.Aws;

namespace Lilium.Fleet;

/// <summary>
/// The DynamoDB client behind a <see cref="RelayRegistry"/>, made the way signaling makes its own (responses read into
/// memory before the SDK unmarshals them: <see cref="BufferedHttpClientFactory"/>). Without arguments the SDK resolves
/// endpoint (<c>AWS_ENDPOINT_URL_DYNAMODB</c> / <c>AWS_ENDPOINT_URL</c>), credentials and region itself.
/// </summary>
public static class FleetDynamo
{
    public static AmazonDynamoDBClient Create(string? serviceUrl = null, AWSCredentials? credentials = null, string? authenticationRegion = null)
    {
        var config = new AmazonDynamoDBConfig { HttpClientFactory = new BufferedHttpClientFactory() };
        if (serviceUrl is not null)
        {
            config.ServiceURL = serviceUrl;
        }

        if (authenticationRegion is not null)
        {
            config.AuthenticationRegion = authenticationRegion;
        }

        return credentials is null ? new AmazonDynamoDBClient(config) : new AmazonDynamoDBClient(credentials, config);
    }

    /// <summary>A registry over the environment's DynamoDB (<see cref="Create"/>) and <see cref="FleetSettings.Table"/>; null without a table.</summary>
    public static RelayRegistry? RegistryFrom(FleetSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Table is { } table ? new RelayRegistry(Create(), table, time, settings.LiveWindow) : null;
    }
}
