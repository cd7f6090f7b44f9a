using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Lilium.Aws;

namespace Lilium.Fleet;

/// <summary>
/// The one way to make a DynamoDB client (the connections store, the relay registry; Lambda, relay, local gateway,
/// tests, bench):
/// its responses are read into memory before the SDK unmarshals them (<see cref="BufferedHttpClientFactory"/>), so no
/// pool thread blocks on a socket. Without arguments: the SDK's own endpoint, credential and region resolution.
/// </summary>
public static class DynamoDbClients
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
}
