using System.Collections.Concurrent;

namespace Lilium.Signaling.Connections;

/// <summary>
/// In-instance cache of the per-message lookups (see docs/signaling.md, "Lookup cache"):
/// connection → owner (immutable for a connection's life; dropped on its <c>$disconnect</c>/410),
/// user → connection ids and friendship checks (<see cref="RefreshingCache{TKey,TValue}"/>: fresh for <c>ttl</c>, then
/// served stale while one background reload runs). This instance's own connects set the user's list, and its
/// disconnects and 410s drop it, at once. A zero <c>ttl</c> disables the user and friendship parts.
/// </summary>
public sealed class LookupCache(TimeSpan ttl, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ConnectionRecord> _owners = new(StringComparer.Ordinal);
    private readonly RefreshingCache<Guid, IReadOnlyList<string>> _connections = new(ttl, time);
    private readonly RefreshingCache<(Guid, Guid), bool> _friends = new(ttl, time);

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
