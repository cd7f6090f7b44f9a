using Amazon.DynamoDBv2;
using Lilium.Auth;
using Lilium.Aws;
using Lilium.Aws.ApiGateway;
using Lilium.Data;
using Lilium.Data.Friends;
using Lilium.Lambda;
using Lilium.Lambda.Events;
using Lilium.Lambda.Runtime;
using Lilium.Signaling;
using Lilium.Signaling.Connections;

// The Lambda entry point (custom runtime, "bootstrap"). Configuration (all required):
//   TOKEN_KEYS           TokenKeys JSON (TOKEN_KEYS_SECRET_ARN: not wired here yet — see docs/signaling.md)
//   CONNECTIONS_TABLE    DynamoDB table name
//   DATABASE_URL         Npgsql connection string
//   MANAGEMENT_ENDPOINT  https://{api}.execute-api.{region}.amazonaws.com/{stage}
if (LambdaEnvironment.RuntimeApi is null)
{
    await Console.Error.WriteLineAsync("AWS_LAMBDA_RUNTIME_API is not set; this executable runs inside Lambda (or the local Runtime API emulator).");
    return 2;
}

return await LambdaRuntime.FromEnvironment().RunAsync(_ =>
{
    var keys = TokenKeys.TryParse(Environment.GetEnvironmentVariable("TOKEN_KEYS"))
        ?? throw new InvalidOperationException("TOKEN_KEYS is missing or malformed.");
    var table = Require("CONNECTIONS_TABLE");
    var data = LiliumDatabase.CreateDataSource(Require("DATABASE_URL"));
    var aws = AwsContext.FromEnvironment();
    var sender = new ManagementApiSender(new ApiGatewayManagementClient(aws, new Uri(Require("MANAGEMENT_ENDPOINT"))));
    var store = new ConnectionStore(new AmazonDynamoDBClient(), table, TimeProvider.System);
    var handler = new SignalingHandler(keys.AccessCodec(), store, new FriendshipRepository(data), sender, new SignalingOptions(), TimeProvider.System);
    return Task.FromResult(LambdaHandler.FromJson<WebSocketEvent, WebSocketResponse>(
        (e, _, ct) => handler.HandleAsync(e, ct),
        LambdaEventsJsonContext.Default.WebSocketEvent,
        LambdaEventsJsonContext.Default.WebSocketResponse));
}, default);

static string Require(string name) =>
    Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new InvalidOperationException(name + " is not set.");
