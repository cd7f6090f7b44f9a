using Lilium.Auth;
using Lilium.Data.Fleet;
using Lilium.Data.Grants;
using Lilium.Data.Sessions;
using Lilium.Fleet;
using Lilium.Testing;

namespace Lilium.Signaling.Tests;

/// <summary>
/// The control plane's half of the relay fleet (issue 24) against real Postgres, the registry in a real DynamoDB table
/// and a real ECS service on the :4566 endpoint: placement and the grant's rid, scale from zero with session.relay to
/// host and viewer, moves off dead and draining relays, scale-out, and idle scale-in that never happens while a relay
/// holds a session. The test writes the relays' registry items itself (as their heartbeats would).
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(SignalingCollection))]
public sealed class FleetTickTests(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    private readonly string _service = "relay-" + Guid.NewGuid().ToString("N")[..8];

    private SignalingWorld _world = null!;

    public Task InitializeAsync()
    {
        _world = new SignalingWorld(postgres, aws)
        {
            FleetSettings = new FleetSettings { Cluster = "lilium-test", Service = _service, IdleTimeout = TimeSpan.FromHours(1) },
        };
        return _world.InitializeAsync();
    }

    public Task DisposeAsync() => _world.DisposeAsync();

    private FleetControl Fleet => _world.Fleet!;

    private Task<int> DesiredAsync() => LocalEcs.DesiredCountAsync(_world.AwsEndpoint, "lilium-test", _service);

    private Task BeatAsync(string id, int load = 0, int sessions = 0, bool draining = false, int capacity = 10) =>
        Fleet.Registry.HeartbeatAsync(new RelayRecord(id, $"http://127.0.0.1:1/{id}/", "127.0.0.1:7882", capacity, load, sessions, draining, 0));

    private async Task<(TestUser Host, TestUser Viewer, Session Session)> SessionWithViewerAsync()
    {
        var host = await _world.NewUserAsync("fl-host");
        var viewer = await _world.NewUserAsync("fl-viewer");
        await _world.MakeFriendsAsync(host, viewer);
        var session = await new SessionRepository(_world.Data).CreateAsync(host.Id, 4, DateTimeOffset.UtcNow);
        var issuer = new RelayGrantIssuer(_world.Data, _world.Keys.RelayCodec());
        Assert.Equal(RelayGrantOutcome.Issued, (await issuer.AdmitAsync(session.Id, host.Id, viewer.Id)).Outcome);
        return (host, viewer, session);
    }

    private string? GrantRelay(Guid session, Guid user)
    {
        var issuer = new RelayGrantIssuer(_world.Data, _world.Keys.RelayCodec());
        var grant = issuer.IssueAsync(session, user).GetAwaiter().GetResult().Grant!;
        Assert.Equal(TokenError.None, _world.Keys.RelayCodec().TryRead(grant.Token, out RelayGrantClaims? claims));
        return claims!.RelayId;
    }

    [Fact]
    public async Task From_zero_relays_a_session_waits_the_service_starts_one_and_host_and_viewer_hear_ready()
    {
        var (host, viewer, session) = await SessionWithViewerAsync();
        await using var h = await _world.ConnectAsync(host);
        await using var v = await _world.ConnectAsync(viewer);

        var placed = await Fleet.PlaceNewAsync(session.Id);
        Assert.Equal(("starting", null, 5), (placed.State, placed.RelayId, placed.EtaSeconds));
        Assert.Equal(1, await DesiredAsync());
        Assert.Null(GrantRelay(session.Id, host.Id));

        // A tick while the relay starts neither raises the count again nor repeats "starting" (the creator's answer said it).
        await _world.Handler.SweepAsync(default);
        Assert.Equal(1, await DesiredAsync());
        Assert.False(await v.ReceivesWithinAsync(m => TestClient.Str(m, "action") == "session.relay", TimeSpan.FromMilliseconds(300)));

        await BeatAsync("r-1");
        await _world.Handler.SweepAsync(default);
        foreach (var client in new[] { h, v })
        {
            var ready = await client.WaitForAsync(m => TestClient.Str(m, "action") == "session.relay" && TestClient.Str(m, "state") == "ready");
            Assert.Equal("r-1", TestClient.Str(ready, "relayId"));
            Assert.Equal(session.Id.ToString(), TestClient.Str(ready, "session"));
        }

        Assert.Equal("r-1", GrantRelay(session.Id, viewer.Id));
        Assert.Equal("r-1", GrantRelay(session.Id, host.Id));

        // Told once: the next sweep sends nothing more.
        await _world.Handler.SweepAsync(default);
        Assert.False(await h.ReceivesWithinAsync(m => TestClient.Str(m, "action") == "session.relay", TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task A_session_moves_off_a_dead_relay_and_off_a_draining_one_and_its_members_hear_moved()
    {
        await BeatAsync("a-1");
        await BeatAsync("a-2", load: 3);
        var (host, viewer, session) = await SessionWithViewerAsync();
        Assert.Equal("a-1", (await Fleet.PlaceNewAsync(session.Id)).RelayId); // least loaded
        await using var h = await _world.ConnectAsync(host);
        await using var v = await _world.ConnectAsync(viewer);

        // a-1 dies: its heartbeat stops (the live window is 3 s) — or, as the supervisor does, its item goes.
        await Fleet.Registry.RemoveAsync("a-1");
        await BeatAsync("a-2", load: 3);
        await _world.Handler.SweepAsync(default);
        foreach (var client in new[] { h, v })
        {
            var moved = await client.WaitForAsync(m => TestClient.Str(m, "action") == "session.relay");
            Assert.Equal(("moved", "a-2"), (TestClient.Str(moved, "state"), TestClient.Str(moved, "relayId")));
        }

        Assert.Equal("a-2", GrantRelay(session.Id, viewer.Id));

        // a-2 drains (SIGTERM) while a-3 is live: the session moves before a-2 exits.
        await BeatAsync("a-3");
        await BeatAsync("a-2", load: 3, sessions: 1, draining: true);
        await _world.Handler.SweepAsync(default);
        var again = await v.WaitForAsync(m => TestClient.Str(m, "action") == "session.relay");
        Assert.Equal(("moved", "a-3"), (TestClient.Str(again, "state"), TestClient.Str(again, "relayId")));
    }

    [Fact]
    public async Task Grants_wait_while_the_only_relay_drains_and_the_service_grows_by_one()
    {
        await BeatAsync("d-1");
        var (host, _, session) = await SessionWithViewerAsync();
        Assert.Equal("d-1", (await Fleet.PlaceNewAsync(session.Id)).RelayId);
        await BeatAsync("d-1", load: 2, sessions: 1, draining: true);

        var check = await Fleet.EnsurePlacedAsync(session.Id);
        Assert.Equal("starting", check!.State);
        Assert.Equal(2, await DesiredAsync()); // the draining task still counts until it exits
        Assert.Equal("d-1", GrantRelay(session.Id, host.Id)); // it keeps serving its peers meanwhile

        await BeatAsync("d-2");
        Assert.Equal(("ready", "d-2"), ((await Fleet.CheckAsync(session.Id))!.State, (await Fleet.EnsurePlacedAsync(session.Id))!.RelayId));
    }

    [Fact]
    public async Task The_service_scales_out_above_the_load_threshold()
    {
        await BeatAsync("s-1", load: 9, sessions: 2);
        await LocalEcs.SetDesiredCountAsync(_world.AwsEndpoint, "lilium-test", _service, 1);
        var tick = await _world.Handler.FleetTickAsync(default);
        Assert.Equal(2, tick!.Desired);
        Assert.Equal(2, await DesiredAsync());

        // Once the second task is on its way, nothing more until it registers.
        Assert.Null((await _world.Handler.FleetTickAsync(default))!.Desired);
    }
}

/// <summary>Idle scale-in needs an idle period of zero and a database without active sessions: its own world.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(SignalingCollection))]
public sealed class FleetIdleTests(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    private readonly string _service = "relay-" + Guid.NewGuid().ToString("N")[..8];

    private SignalingWorld _world = null!;

    public Task InitializeAsync()
    {
        _world = new SignalingWorld(postgres, aws)
        {
            FleetSettings = new FleetSettings { Cluster = "lilium-test", Service = _service, IdleTimeout = TimeSpan.Zero },
        };
        return _world.InitializeAsync();
    }

    public Task DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task Idle_returns_the_service_to_zero_but_never_while_a_relay_holds_a_session()
    {
        var registry = _world.Fleet!.Registry;
        await LocalEcs.SetDesiredCountAsync(_world.AwsEndpoint, "lilium-test", _service, 2);
        await registry.HeartbeatAsync(new RelayRecord("i-1", "http://127.0.0.1:1/", "127.0.0.1:1", 10, 2, 1, false, 0));
        await registry.HeartbeatAsync(new RelayRecord("i-2", "http://127.0.0.1:2/", "127.0.0.1:2", 10, 0, 0, false, 0));

        // An active session keeps the fleet up.
        var host = await _world.NewUserAsync("idle-host");
        var session = await new SessionRepository(_world.Data).CreateAsync(host.Id, 2, DateTimeOffset.UtcNow);
        await _world.Handler.SweepAsync(default);
        Assert.Equal(2, await LocalEcs.DesiredCountAsync(_world.AwsEndpoint, "lilium-test", _service));

        // Ended, but i-1 still holds it (its peers have not left): still no scale-in.
        Assert.Equal(EndOutcome.Ended, await new SessionRepository(_world.Data).EndAsync(session.Id, host.Id, DateTimeOffset.UtcNow));
        await _world.Handler.SweepAsync(default);
        Assert.Equal(2, await LocalEcs.DesiredCountAsync(_world.AwsEndpoint, "lilium-test", _service));

        // i-1 empties: the service goes to 0.
        await registry.HeartbeatAsync(new RelayRecord("i-1", "http://127.0.0.1:1/", "127.0.0.1:1", 10, 0, 0, false, 0));
        var tick = await _world.Handler.FleetTickAsync(default);
        Assert.Equal(0, tick!.Desired);
        Assert.Equal(0, await LocalEcs.DesiredCountAsync(_world.AwsEndpoint, "lilium-test", _service));
    }
}
