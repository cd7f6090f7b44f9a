namespace Lilium.Fleet.Tests;

[Trait("Category", "Unit")]
public sealed class PlacementTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    private static RelayRecord Relay(string id, int load = 0, int sessions = 0, int capacity = 100, bool draining = false, long ageMs = 0) =>
        new(id, $"http://10.0.0.1:8080/{id}/", "203.0.113.1:7882", capacity, load, sessions, draining, Now.ToUnixTimeMilliseconds() - ageMs);

    [Fact]
    public void No_relays_places_nowhere() => Assert.Null(Placement.Choose([], Now));

    [Fact]
    public void The_least_loaded_live_relay_wins()
    {
        var chosen = Placement.Choose([Relay("a", load: 5), Relay("b", load: 2), Relay("c", load: 9)], Now);
        Assert.Equal("b", chosen!.RelayId);
    }

    [Fact]
    public void Ties_go_to_fewer_sessions_then_the_smaller_id_whatever_the_order()
    {
        RelayRecord[] relays = [Relay("c", load: 4, sessions: 1), Relay("b", load: 4, sessions: 2), Relay("a", load: 4, sessions: 2)];
        Assert.Equal("c", Placement.Choose(relays, Now)!.RelayId);
        Assert.Equal("c", Placement.Choose(relays.Reverse(), Now)!.RelayId);
        RelayRecord[] even = [Relay("b", load: 4, sessions: 2), Relay("a", load: 4, sessions: 2)];
        Assert.Equal("a", Placement.Choose(even, Now)!.RelayId);
        Assert.Equal("a", Placement.Choose(even.Reverse(), Now)!.RelayId);
    }

    [Fact]
    public void A_full_relay_is_skipped_even_when_it_is_the_only_one()
    {
        Assert.Null(Placement.Choose([Relay("a", load: 10, capacity: 10)], Now));
        Assert.Equal("b", Placement.Choose([Relay("a", load: 10, capacity: 10), Relay("b", load: 50, capacity: 51)], Now)!.RelayId);
    }

    [Fact]
    public void A_draining_relay_takes_no_session()
    {
        Assert.Null(Placement.Choose([Relay("a", draining: true)], Now));
        Assert.Equal("b", Placement.Choose([Relay("a", draining: true), Relay("b", load: 99)], Now)!.RelayId);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(2999, true)]
    [InlineData(3000, true)]
    [InlineData(3001, false)]
    [InlineData(60_000, false)]
    [InlineData(-500, true)] // written a little in the future by a task whose clock runs ahead
    public void Live_means_a_heartbeat_within_the_window(long ageMs, bool live)
    {
        var relay = Relay("a", ageMs: ageMs);
        Assert.Equal(live, relay.IsLive(Now, FleetSettings.DefaultLiveWindow));
        Assert.Equal(live ? "a" : null, Placement.Choose([relay], Now)?.RelayId);
    }

    [Fact]
    public void A_silent_relay_loses_to_a_busier_live_one()
    {
        var chosen = Placement.Choose([Relay("quiet", load: 0, ageMs: 4000), Relay("busy", load: 80)], Now);
        Assert.Equal("busy", chosen!.RelayId);
    }

    [Fact]
    public void The_live_window_is_the_callers()
    {
        var relay = Relay("a", ageMs: 4000);
        Assert.Null(Placement.Choose([relay], Now));
        Assert.Equal("a", Placement.Choose([relay], Now, TimeSpan.FromSeconds(5))!.RelayId);
    }

    [Fact]
    public void Draining_relays_still_beat_while_their_process_runs()
    {
        var relay = Relay("a", draining: true, ageMs: 1000);
        Assert.False(relay.IsLive(Now, FleetSettings.DefaultLiveWindow));
        Assert.True(relay.IsBeating(Now, FleetSettings.DefaultLiveWindow));
        Assert.False((relay with { HeartbeatMs = relay.HeartbeatMs - 5000 }).IsBeating(Now, FleetSettings.DefaultLiveWindow));
    }

    [Fact]
    public void Scale_out_when_every_live_relay_is_above_the_threshold()
    {
        Assert.True(Placement.AllAbove([], Now, 0.8));
        Assert.True(Placement.AllAbove([Relay("a", load: 81), Relay("b", load: 90)], Now, 0.8));
        Assert.False(Placement.AllAbove([Relay("a", load: 81), Relay("b", load: 80)], Now, 0.8));
        // A dead or draining relay's low load does not hold scale-out back.
        Assert.True(Placement.AllAbove([Relay("a", load: 81), Relay("b", load: 0, ageMs: 10_000), Relay("c", draining: true)], Now, 0.8));
    }
}
