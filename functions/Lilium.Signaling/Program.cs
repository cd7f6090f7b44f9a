using Lilium.Aws;
using Lilium.Aws.ApiGateway;
using Lilium.Data;
using Lilium.Data.Configuration;
using Lilium.Fleet;
using Lilium.Lambda;
using Lilium.Lambda.Events;
using Lilium.Lambda.Observability;
using Lilium.Lambda.Runtime;
using Lilium.Signaling;
using Lilium.Signaling.Connections;
using Microsoft.Extensions.Configuration;

// The Lambda entry point (custom runtime, "bootstrap"). Configuration:
//   TOKEN_KEYS | TOKEN_KEYS_SECRET_ARN       the TokenKeys JSON, or the Secrets Manager secret holding it
//   DATABASE_URL | DB_SECRET_ARN | DB_*      as the API (Lilium.Data.Configuration.DatabaseSettings)
//   CONNECTIONS_TABLE                        DynamoDB table name
//   WS_MANAGEMENT_ENDPOINT                   https://{api}.execute-api.{region}.amazonaws.com/{stage}
//   RELAY_URL                                optional: the relay's base URL, handed to admitted viewers
//   HOST_GRACE_SECONDS                       optional (60): how long a host may be gone before their sessions end
//   LILIUM_HANDLER=sweep                     this function is the sweeper: each invocation (a schedule, any payload) sweeps once
//   RELAY_CLUSTER, RELAY_SERVICE, RELAY_*    the relay fleet (docs/relay.md): the sweep places sessions and scales relays
if (LambdaEnvironment.RuntimeApi is null)
{
    await Console.Error.WriteLineAsync("AWS_LAMBDA_RUNTIME_API is not set; this executable runs inside Lambda (or the local Runtime API emulator).");
    return 2;
}

// OTEL_EXPORTER_OTLP_ENDPOINT (or its per-signal forms) switches on the OTLP export of traces and metrics
// (docs/observability.md); without it no telemetry object is created.
using var telemetry = FunctionTelemetry.Start(new ConfigurationBuilder().AddEnvironmentVariables().Build(), "lilium-signaling", SignalingTelemetry.Name);
return await LambdaRuntime.FromEnvironment(telemetry is null ? null : telemetry.Flush).RunAsync(async ct =>
{
    var secrets = new LazySecretReader();
    var keys = await TokenKeysSettings.ResolveAsync(Environment.GetEnvironmentVariable, secrets, allowGenerated: false, ct);
    var (connectionString, _) = await DatabaseSettings.ResolveAsync(Environment.GetEnvironmentVariable, secrets, ct);
    var aws = AwsContext.FromEnvironment();
    var sender = new ManagementApiSender(new ApiGatewayManagementClient(aws, new Uri(Require("WS_MANAGEMENT_ENDPOINT"))));
    var store = new ConnectionStore(DynamoDbClients.Create(), Require("CONNECTIONS_TABLE"), TimeProvider.System);
    var options = new SignalingOptions
    {
        RelayUrl = Uri.TryCreate(Environment.GetEnvironmentVariable("RELAY_URL"), UriKind.Absolute, out var relay) ? relay : null,
        HostGracePeriod = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("HOST_GRACE_SECONDS"), out var grace) && grace > 0 ? grace : 60),
    };
    var dataSource = LiliumDatabase.CreateDataSource(connectionString);
    var fleet = Lilium.Data.Fleet.FleetControl.FromEnvironment(dataSource, Environment.GetEnvironmentVariable, TimeProvider.System, aws, store.Dynamo);
    var handler = SignalingHandler.Create(keys, dataSource, store, sender, options, TimeProvider.System, fleet);
    if (Environment.GetEnvironmentVariable("LILIUM_HANDLER") == "sweep")
    {
        return LambdaHandler.FromJson<WebSocketEvent, WebSocketResponse>(
            async (_, _, c) => { await handler.SweepAsync(c); return WebSocketResponse.Ok; },
            LambdaEventsJsonContext.Default.WebSocketEvent,
            LambdaEventsJsonContext.Default.WebSocketResponse);
    }

    return LambdaHandler.FromJson<WebSocketEvent, WebSocketResponse>(
        (e, _, c) => handler.HandleAsync(e, c),
        LambdaEventsJsonContext.Default.WebSocketEvent,
        LambdaEventsJsonContext.Default.WebSocketResponse);
}, default);

static string Require(string name) =>
    Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new InvalidOperationException(name + " is not set.");
