using System.Collections.Concurrent;

namespace Lilium.Signaling.Connections;

/// <summary>
/// A small read-through cache that never makes a reader wait for a refresh: a fresh entry is served; a stale one is
/// served too while one background reload per key runs (stale-while-revalidate); only a missing entry waits, and
/// concurrent misses share one load (single flight). <see cref="Set"/> and <see cref="Forget"/> bump a per-stripe
/// generation so a load that started before them cannot store what it read. A zero <c>ttl</c> disables caching.
/// </summary>
public sealed class RefreshingCache<TKey, TValue>(TimeSpan ttl, TimeProvider time, int maxConcurrentRefreshes = 4)
    where TKey : notnull
{
    private const int Stripes = 1024;
    private readonly SemaphoreSlim _refreshSlots = new(maxConcurrentRefreshes, maxConcurrentRefreshes);
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<TKey, Lazy<Task<TValue>>> _loads = new();
    private readonly long[] _generations = new long[Stripes];

    public int Count => _entries.Count;

    public async ValueTask<TValue> GetAsync(TKey key, Func<Task<TValue>> load)
    {
        if (ttl <= TimeSpan.Zero)
        {
            return await load();
        }

        if (_entries.TryGetValue(key, out var entry))
        {
            // At most a few refreshes in flight: when many entries go stale together (a burst of traffic after a quiet
            // spell), a refresh storm would queue behind the store and tie up the thread pool; stale entries keep
            // being served and later readers start the remaining refreshes as slots free up.
            if (entry.FreshUntil <= time.GetUtcNow() && Interlocked.Exchange(ref entry.Refreshing, 1) == 0)
            {
                if (_refreshSlots.Wait(0))
                {
                    // Off the reader's path entirely: even the load's synchronous prefix (request marshalling, signing).
                    _ = Task.Run(() => RefreshAsync(key, load));
                }
                else
                {
                    Volatile.Write(ref entry.Refreshing, 0);
                }
            }

            return entry.Value;
        }

        var lazy = _loads.GetOrAdd(key, k => new Lazy<Task<TValue>>(() => LoadAsync(k, load)));
        try
        {
            return await lazy.Value;
        }
        finally
        {
            _loads.TryRemove(new KeyValuePair<TKey, Lazy<Task<TValue>>>(key, lazy));
        }
    }

    /// <summary>Stores what this instance knows to be current (e.g. the connection list it has just written).</summary>
    public void Set(TKey key, TValue value)
    {
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        Interlocked.Increment(ref Generation(key));
        _entries[key] = new Entry(value, time.GetUtcNow() + ttl);
    }

    public void Forget(TKey key)
    {
        Interlocked.Increment(ref Generation(key));
        _entries.TryRemove(key, out _);
    }

    private async Task<TValue> LoadAsync(TKey key, Func<Task<TValue>> load)
    {
        var generation = Volatile.Read(ref Generation(key));
        var value = await load();
        Store(key, value, generation);
        return value;
    }

    private async Task RefreshAsync(TKey key, Func<Task<TValue>> load)
    {
        try
        {
            await LoadAsync(key, load);
        }
        catch (Exception)
        {
            // Keep serving the stale value; the next reader past its freshness retries.
            if (_entries.TryGetValue(key, out var entry))
            {
                Volatile.Write(ref entry.Refreshing, 0);
            }
        }
        finally
        {
            _refreshSlots.Release();
        }
    }

    private void Store(TKey key, TValue value, long generation)
    {
        if (Volatile.Read(ref Generation(key)) == generation)
        {
            _entries[key] = new Entry(value, time.GetUtcNow() + ttl);
        }
    }

    private ref long Generation(TKey key) => ref _generations[(key.GetHashCode() & int.MaxValue) % Stripes];

    private sealed class Entry(TValue value, DateTimeOffset freshUntil)
    {
        public int Refreshing;

        public TValue Value { get; } = value;

        public DateTimeOffset FreshUntil { get; } = freshUntil;
    }
}
