using System.Collections.Concurrent;

namespace Lilium.Signaling.Connections;

/// <summary>
/// In-instance cache of the per-message lookups (see docs/signaling.md, "Lookup cache"):
/// connection → owner (immutable for a connection's life; dropped on its <c>$disconnect</c>/410),
/// user → connection ids and friendship checks (both expire after <c>ttl</c>; this instance's own
/// connects, disconnects and 410s invalidate the user entry at once).
/// A zero <c>ttl</c> disables the user and friendship parts.
/// </summary>
public sealed class LookupCache(TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConnectionRecord> _owners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, (IReadOnlyList<string> Ids, DateTimeOffset Until)> _connections = new();
    private readonly ConcurrentDictionary<(Guid, Guid), (bool Friends, DateTimeOffset Until)> _friends = new();

    public async Task<ConnectionRecord?> OwnerAsync(string connectionId, Func<Task<ConnectionRecord?>> load)
    {
        if (_owners.TryGetValue(connectionId, out var hit))
        {
            return hit;
        }

        var record = await load();
        if (record is not null)
        {
            _owners[connectionId] = record;
        }

        return record;
    }

    public async Task<IReadOnlyList<string>> ConnectionsAsync(Guid user, Func<Task<IReadOnlyList<string>>> load)
    {
        var now = time.GetUtcNow();
        if (ttl > TimeSpan.Zero && _connections.TryGetValue(user, out var hit) && hit.Until > now)
        {
            return hit.Ids;
        }

        var ids = await load();
        if (ttl > TimeSpan.Zero)
        {
            _connections[user] = (ids, now + ttl);
        }

        return ids;
    }

    public async Task<bool> AreFriendsAsync(Guid a, Guid b, Func<Task<bool>> load)
    {
        var key = a.CompareTo(b) < 0 ? (a, b) : (b, a);
        var now = time.GetUtcNow();
        if (ttl > TimeSpan.Zero && _friends.TryGetValue(key, out var hit) && hit.Until > now)
        {
            return hit.Friends;
        }

        var friends = await load();
        if (ttl > TimeSpan.Zero)
        {
            _friends[key] = (friends, now + ttl);
        }

        return friends;
    }

    public void Forget(Guid user, string? connectionId = null)
    {
        _connections.TryRemove(user, out _);
        if (connectionId is not null)
        {
            _owners.TryRemove(connectionId, out _);
        }
    }
}
