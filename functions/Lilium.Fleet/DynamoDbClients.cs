using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
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

    /// <summary>
    /// Creates a table with string hash and range keys (on-demand) when absent, tolerating another process creating it
    /// at the same moment — local runs and tests only; the CDK app makes the tables on AWS.
    /// </summary>
    public static async Task EnsureTableAsync(IAmazonDynamoDB dynamo, string tableName, string partitionKey, string sortKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dynamo);
        try
        {
            await dynamo.DescribeTableAsync(tableName, cancellationToken);
            return;
        }
        catch (ResourceNotFoundException)
        {
        }

        try
        {
            await dynamo.CreateTableAsync(new CreateTableRequest
            {
                TableName = tableName,
                BillingMode = BillingMode.PAY_PER_REQUEST,
                AttributeDefinitions = [new(partitionKey, ScalarAttributeType.S), new(sortKey, ScalarAttributeType.S)],
                KeySchema = [new(partitionKey, KeyType.HASH), new(sortKey, KeyType.RANGE)],
            }, cancellationToken);
        }
        catch (ResourceInUseException)
        {
            // Created concurrently by another process.
        }
    }
}
