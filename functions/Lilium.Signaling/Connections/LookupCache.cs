using System.Collections.Concurrent;

namespace Lilium.Signaling.Connections;

/// <summary>
/// In-instance cache of the per-message lookups (see docs/signaling.md, "Lookup cache"):
/// connection → owner (immutable for a connection's life; dropped on its <c>$disconnect</c>/410),
/// user → connection ids and friendship checks (<see cref="RefreshingCache{TKey,TValue}"/>: fresh for <c>ttl</c>, then
/// served stale while one background reload runs). This instance's own connects set the user's list, and its
/// disconnects set it to what remains, and 410s drop it, at once. A zero TTL disables that part.
/// </summary>
public sealed class LookupCache(TimeSpan connectionsTtl, TimeSpan friendsTtl, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConnectionRecord> _owners = new(StringComparer.Ordinal);
    private readonly RefreshingCache<Guid, IReadOnlyList<string>> _connections = new(connectionsTtl, time);
    private readonly RefreshingCache<(Guid, Guid), bool> _friends = new(friendsTtl, time);

    public async ValueTask<ConnectionRecord?> OwnerAsync(string connectionId, Func<Task<ConnectionRecord?>> load)
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

    /// <summary>Remembers a connection this instance has just registered (the owner never changes).</summary>
    public void Connected(ConnectionRecord record, IReadOnlyList<string> userConnections)
    {
        _owners[record.ConnectionId] = record;
        _connections.Set(record.UserId, userConnections);
    }

    /// <summary>A connection this instance has just removed; <paramref name="remaining"/> is the user's list as read after it.</summary>
    public void Disconnected(ConnectionRecord record, IReadOnlyList<string> remaining)
    {
        _owners.TryRemove(record.ConnectionId, out _);
        _connections.Set(record.UserId, remaining);
    }

    public ValueTask<IReadOnlyList<string>> ConnectionsAsync(Guid user, Func<Task<IReadOnlyList<string>>> load) =>
        _connections.GetAsync(user, load);

    public ValueTask<bool> AreFriendsAsync(Guid a, Guid b, Func<Task<bool>> load) =>
        _friends.GetAsync(a.CompareTo(b) < 0 ? (a, b) : (b, a), load);

    public void Forget(Guid user, string? connectionId = null)
    {
        _connections.Forget(user);
        if (connectionId is not null)
        {
            _owners.TryRemove(connectionId, out _);
        }
    }
}
