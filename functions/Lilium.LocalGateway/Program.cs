using Lilium.Auth;
using Lilium.Data;
using Lilium.Fleet;
using Lilium.LocalGateway;
using Lilium.Signaling;
using Lilium.Signaling.Connections;

// Local dev host: LOCAL_GATEWAY_PORT (5081), TOKEN_KEYS, DATABASE_URL, CONNECTIONS_TABLE (lilium-connections), RELAY_URL,
// AWS_ENDPOINT_URL (http://localhost:4566) with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_REGION, SWEEP_INTERVAL_SECONDS (5),
// HOST_GRACE_SECONDS (60); the relay fleet's RELAY_CLUSTER, RELAY_SERVICE and RELAY_* (docs/relay.md).
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
var options = SignalingOptions.SingleInstance with
{
    HostGracePeriod = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("HOST_GRACE_SECONDS"), out var grace) && grace > 0 ? grace : 60),
    RelayUrl = new Uri(Environment.GetEnvironmentVariable("RELAY_URL") is { Length: > 0 } relay ? relay : "http://127.0.0.1:8080")
};
var dataSource = LiliumDatabase.CreateDataSource(database);
// The relay fleet (docs/relay.md) when RELAY_CLUSTER and RELAY_SERVICE are set: the sweep runs its tick.
var fleet = Lilium.Data.Fleet.FleetControl.FromEnvironment(
    dataSource, name => name == "CONNECTIONS_TABLE" ? store.TableName : Environment.GetEnvironmentVariable(name), TimeProvider.System, dynamo: dynamo);
var handler = SignalingHandler.Create(keys, dataSource, store, registry, options, TimeProvider.System, fleet);
await using var host = new LocalGatewayHost(new GatewayOptions { Port = port }, registry, handler.HandleAsync);
Console.WriteLine($"Local gateway: {host.WebSocketUri} (management API {host.ManagementEndpoint})");
using var stop = new CancellationTokenSource();
var sweeper = SweepLoopAsync(handler, TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("SWEEP_INTERVAL_SECONDS"), out var every) && every > 0 ? every : 5), stop.Token);
await host.RunAsync();
await stop.CancelAsync();
await sweeper;
return 0;

// Plays the part of the schedule that invokes the sweeper on AWS: host-gone sessions end within grace + interval.
static async Task SweepLoopAsync(SignalingHandler handler, TimeSpan interval, CancellationToken cancellationToken)
{
    using var timer = new PeriodicTimer(interval);
    try
    {
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await handler.SweepAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"sweep failed: {e.Message}");
            }
        }
    }
    catch (OperationCanceledException)
    {
    }
}
