using Lilium.Signaling.Connections;

namespace Lilium.Signaling.Tests;

/// <summary>The per-instance lookup cache: what connects and disconnects write, and the two TTLs.</summary>
[Trait("Category", "Unit")]
public sealed class LookupCacheTests
{
    private static readonly Guid Ada = Guid.NewGuid();
    private static readonly Guid Bob = Guid.NewGuid();

    [Fact]
    public async Task A_disconnect_leaves_the_remaining_connections_without_a_reload()
    {
        var cache = new LookupCache(TimeSpan.FromHours(1), TimeSpan.FromSeconds(30), new Clock());
        cache.Connected(new ConnectionRecord("c1", Ada, "ada"), ["c1"]);
        cache.Connected(new ConnectionRecord("c2", Ada, "ada"), ["c1", "c2"]);

        cache.Disconnected(new ConnectionRecord("c1", Ada, "ada"), ["c2"]);

        var loads = 0;
        Assert.Equal(["c2"], await cache.ConnectionsAsync(Ada, () => { loads++; return Task.FromResult<IReadOnlyList<string>>(["stale"]); }));
        Assert.Equal(0, loads);

        // The owner of a closed connection is forgotten: the next lookup asks the store.
        Assert.Null(await cache.OwnerAsync("c1", () => Task.FromResult<ConnectionRecord?>(null)));
    }

    [Fact]
    public async Task Connection_lists_and_friendships_expire_on_their_own_ttls()
    {
        var clock = new Clock();
        var cache = new LookupCache(TimeSpan.FromHours(1), TimeSpan.FromSeconds(30), clock);
        cache.Connected(new ConnectionRecord("c1", Ada, "ada"), ["c1"]);
        Assert.True(await cache.AreFriendsAsync(Ada, Bob, () => Task.FromResult(true)));

        clock.Advance(TimeSpan.FromMinutes(1));
        var friendLoads = 0;
        var connectionLoads = 0;

        // Stale-while-revalidate: the expired friendship is served once more while one reload runs.
        await cache.AreFriendsAsync(Bob, Ada, () => { friendLoads++; return Task.FromResult(false); });
        await cache.ConnectionsAsync(Ada, () => { connectionLoads++; return Task.FromResult<IReadOnlyList<string>>([]); });
        var friends = true;
        for (var i = 0; i < 200 && friends; i++)
        {
            await Task.Delay(10);
            friends = await cache.AreFriendsAsync(Ada, Bob, () => Task.FromResult(false));
        }

        Assert.False(friends);
        Assert.Equal(1, friendLoads);
        Assert.Equal(0, connectionLoads);
    }

    private sealed class Clock : TimeProvider
    {
        private long _ticks = DateTimeOffset.UtcNow.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
