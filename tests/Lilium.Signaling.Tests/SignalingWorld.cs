using System.Security.Cryptography;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Data;
using Lilium.Data.Friends;
using Lilium.Data.Migrations;
using Lilium.Fleet;
using Lilium.LocalGateway;
using Lilium.Signaling;
using Lilium.Signaling.Connections;
using Lilium.Testing;
using Npgsql;

namespace Lilium.Signaling.Tests;

/// <summary>
/// A migrated Postgres database, a fresh DynamoDB table on the :4566 endpoint, the signaling handler and a
/// local gateway on a free port — one per test class.
/// </summary>
public sealed class SignalingWorld(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    public TokenKeys Keys { get; } = TokenKeys.Generate();

    public NpgsqlDataSource Data { get; private set; } = null!;

    public ConnectionStore Store { get; private set; } = null!;

    public LocalGatewayHost Gateway { get; private set; } = null!;

    public FriendshipRepository Friendships { get; private set; } = null!;

    /// <summary>The handler's options (set before <see cref="InitializeAsync"/>); the relay URL is always the test one.</summary>
    public SignalingOptions Options { get; init; } = new();

    public SignalingHandler Handler { get; private set; } = null!;

    /// <summary>
    /// The relay fleet's settings (set before <see cref="InitializeAsync"/>); the cluster and service are created on the
    /// :4566 endpoint and the registry lives in <see cref="Store"/>'s table. Null: no fleet, as in single-relay setups.
    /// </summary>
    public Lilium.Fleet.FleetSettings? FleetSettings { get; init; }

    /// <summary>The fleet the sweep ticks, when <see cref="FleetSettings"/> was set.</summary>
    public Lilium.Data.Fleet.FleetControl? Fleet { get; private set; }

    /// <summary>The :4566 endpoint.</summary>
    public Uri AwsEndpoint => aws.Endpoint;

    /// <summary>The local gateway's OTLP export settings (<c>OTEL_*</c>); null: the environment's (none in tests).</summary>
    public Microsoft.Extensions.Configuration.IConfiguration? TelemetrySettings { get; init; }

    public async Task InitializeAsync()
    {
        await postgres.InitializeAsync();
        await aws.InitializeAsync();
        Data = LiliumDatabase.CreateDataSource(await postgres.CreateDatabaseAsync("sig"));
        await new Migrator(Data).MigrateAsync();
        Friendships = new FriendshipRepository(Data);
        var dynamo = DynamoDbClients.Create(
            aws.Endpoint.ToString(),
            new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey),
            AwsEndpointFixture.Region);
        Store = new ConnectionStore(dynamo, "connections-" + Guid.NewGuid().ToString("N")[..12], TimeProvider.System);
        await Store.EnsureTableAsync(default);
        if (FleetSettings is { } fleet)
        {
            await LocalEcs.EnsureServiceAsync(aws.Endpoint, fleet.Cluster!, fleet.Service!);
            var context = new Lilium.Aws.AwsContext(new HttpClient(), Lilium.Aws.AwsSettings.From(aws.Environment), new Lilium.Aws.Credentials.StaticCredentialsProvider("test", "test"));
            Fleet = new Lilium.Data.Fleet.FleetControl(
                fleet with { Table = Store.TableName },
                new Lilium.Fleet.RelayRegistry(dynamo, Store.TableName, TimeProvider.System, fleet.LiveWindow),
                new Lilium.Data.Fleet.SessionPlacementRepository(Data),
                new Lilium.Aws.Ecs.EcsClient(context),
                TimeProvider.System);
        }

        var registry = new ConnectionRegistry();
        var handler = SignalingHandler.Create(Keys, Data, Store, registry, Options with { RelayUrl = new Uri("http://relay.test:8080") }, TimeProvider.System, Fleet);
        Handler = handler;
        Gateway = new LocalGatewayHost(new GatewayOptions
        {
            Port = Ports.FreeTcp(),
            TelemetrySettings = TelemetrySettings,
        }, registry, handler.HandleAsync);
        await Gateway.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Data.DisposeAsync();
    }

    public async Task<TestUser> NewUserAsync(string nickname)
    {
        var (id, token) = await TestUsers.InsertAsync(Data, Keys, nickname);
        return new TestUser(id, nickname, token);
    }

    public async Task MakeFriendsAsync(TestUser a, TestUser b)
    {
        await Friendships.RequestAsync(a.Id, b.Id, DateTimeOffset.UtcNow);
        Assert.True(await Friendships.AcceptAsync(b.Id, a.Id, DateTimeOffset.UtcNow));
    }

    public Task<TestClient> ConnectAsync(TestUser user) => TestClient.ConnectAsync(Gateway.WebSocketUri, user.Token);
}

public sealed record TestUser(Guid Id, string Nickname, string Token);
