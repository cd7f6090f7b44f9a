using System.Text.Json;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Aws;
using Lilium.Aws.Credentials;
using Lilium.Aws.Ecs;
using Lilium.Fleet;
using Lilium.RelaySupervisor;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Relay.Tests;

/// <summary>
/// The local fleet as <c>make run</c> runs it: the supervisor (in process) on a free port with its own ECS cluster on
/// the :4566 endpoint and a fresh registry table, starting relay processes (<c>dotnet Lilium.Relay.dll</c>, the
/// relay project's build) on free ports with one relay key.
/// </summary>
internal sealed class SupervisedFleet : IAsyncDisposable
{
    private readonly AwsEndpointFixture _aws;
    private WebApplication _app = null!;

    private SupervisedFleet(AwsEndpointFixture aws) => _aws = aws;

    public TokenKeys Keys { get; } = TokenKeys.Generate();

    public string Cluster { get; } = "lilium-test-" + Guid.NewGuid().ToString("N")[..8];

    public Uri BaseUri { get; private set; } = null!;

    public RelayRegistry Registry { get; private set; } = null!;

    public EcsClient Ecs { get; private set; } = null!;

    internal Supervisor Supervisor => _app.Services.GetRequiredService<Supervisor>();

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    public static async Task<SupervisedFleet> StartAsync(AwsEndpointFixture aws)
    {
        var fleet = new SupervisedFleet(aws);
        await fleet.InitializeAsync();
        return fleet;
    }

    private async Task InitializeAsync()
    {
        var table = "connections-" + Guid.NewGuid().ToString("N")[..12];
        var env = _aws.Environment;
        var port = Ports.FreeTcp();
        _app = SupervisorHost.Create(new SupervisorOptions
        {
            Port = port,
            HttpPortBase = 0,
            UdpPortBase = 0,
            RelayCommand = Path.Combine(RepoPaths.Root, "media-relay", "Lilium.Relay", "bin", "Release", "net10.0", "Lilium.Relay.dll"),
            Cluster = Cluster,
            Table = table,
            Aws = env,
            StopTimeout = TimeSpan.FromSeconds(15),
            RelayEnvironment = new Dictionary<string, string>
            {
                ["RELAY_KEY"] = Keys.RelayKey,
                ["RELAY_HEARTBEAT_MS"] = "250",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        });
        await _app.StartAsync();
        BaseUri = new Uri($"http://127.0.0.1:{port}");
        Registry = new RelayRegistry(
            DynamoDbClients.Create(_aws.Endpoint.ToString(), new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey), AwsEndpointFixture.Region),
            table, TimeProvider.System);
        Ecs = new EcsClient(new AwsContext(new HttpClient(), AwsSettings.From(env), new StaticCredentialsProvider(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey)));
        await FleetRelayTests.WaitForAsync(() => Task.FromResult(Supervisor.Ticks > 0), "the supervisor's first round", TimeSpan.FromSeconds(30));
    }

    public Task SetDesiredAsync(int count) => Ecs.UpdateServiceAsync(new UpdateServiceRequest(Cluster, "relay") { DesiredCount = count });

    /// <summary>Waits until exactly <paramref name="count"/> relays run and all of them are ready; returns them.</summary>
    public async Task<IReadOnlyList<RelayProcess>> WaitForReadyAsync(int count, TimeSpan? timeout = null)
    {
        await FleetRelayTests.WaitForAsync(
            () => Task.FromResult(Supervisor.Relays.Count == count && Supervisor.Relays.All(r => r.Status == "ready" && r.StopRequestedAt is null)),
            $"{count} ready relays (now: {string.Join(", ", Supervisor.Relays.Select(r => r.RelayId + "=" + r.Status))})",
            timeout ?? TimeSpan.FromSeconds(40));
        return Supervisor.Relays;
    }

    public string Grant(Guid session, RelayRole role, string? relayId, Guid? user = null) =>
        FleetGrants.Issue(Keys, session, role, relayId, user);

    public async Task<JsonElement> StatusAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(BaseUri, "/_supervisor/status")));
        return json.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        try
        {
            await SetDesiredAsync(0);
        }
        catch (AwsServiceException)
        {
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>A relay URL and grants for the aiortc peers: the supervisor's load balancer, grants naming the owner.</summary>
internal sealed class FleetEndpoints(SupervisedFleet fleet, string owner) : IRelayEndpoints
{
    public Uri Whip(Guid session) => new(fleet.BaseUri, $"/whip/{session}");

    public Uri Whep(Guid session) => new(fleet.BaseUri, $"/whep/{session}");

    public string Grant(Guid session, RelayRole role, TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null) => fleet.Grant(session, role, owner);
}
