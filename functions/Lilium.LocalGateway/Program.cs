using Lilium.Auth;
using Lilium.Data;
using Lilium.LocalGateway;
using Lilium.Signaling;
using Lilium.Signaling.Connections;

// Local dev host: LOCAL_GATEWAY_PORT (5081), TOKEN_KEYS, DATABASE_URL, CONNECTIONS_TABLE (lilium-connections), RELAY_URL,
// AWS_ENDPOINT_URL (http://localhost:4566) with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION.
var port = int.TryParse(Environment.GetEnvironmentVariable("LOCAL_GATEWAY_PORT"), out var p) ? p : 5081;
var keys = TokenKeys.TryParse(Environment.GetEnvironmentVariable("TOKEN_KEYS"));
var database = Environment.GetEnvironmentVariable("DATABASE_URL");
if (database is not null && (database.StartsWith("postgres://", StringComparison.Ordinal) || database.StartsWith("postgresql://", StringComparison.Ordinal)))
{
    database = Lilium.Data.Configuration.DatabaseSettings.FromUrl(database); // the same URL form the API takes
}

if (keys is null || string.IsNullOrEmpty(database))
{
    await Console.Error.WriteLineAsync("TOKEN_KEYS and DATABASE_URL must be set.");
    return 2;
}

var dynamo = DynamoDbClients.Create(Environment.GetEnvironmentVariable("AWS_ENDPOINT_URL") ?? "http://localhost:4566");
var store = new ConnectionStore(dynamo, Environment.GetEnvironmentVariable("CONNECTIONS_TABLE") ?? "lilium-connections", TimeProvider.System);
await store.EnsureTableAsync(default);
var registry = new ConnectionRegistry();
var options = SignalingOptions.SingleInstance with { RelayUrl = new Uri(Environment.GetEnvironmentVariable("RELAY_URL") is { Length: > 0 } relay ? relay : "http://127.0.0.1:8080") };
var handler = SignalingHandler.Create(keys, LiliumDatabase.CreateDataSource(database), store, registry, options, TimeProvider.System);
await using var host = new LocalGatewayHost(new GatewayOptions { Port = port }, registry, handler.HandleAsync);
Console.WriteLine($"Local gateway: {host.WebSocketUri} (management API {host.ManagementEndpoint})");
await host.RunAsync();
return 0;
