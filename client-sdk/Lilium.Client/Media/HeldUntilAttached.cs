namespace Lilium.Client.Media;

/// <summary>
/// A handler slot for packets that can arrive before anyone listens: the relay replays a viewer's first keyframe run the
/// moment DTLS completes, while the viewer is still opening its data channel. Until <see cref="Attach"/> the items are
/// held (copied by the caller's <c>own</c> function, at most <c>capacity</c> of them); attaching delivers them first, in
/// order, then every later item goes straight to the handler (one volatile read, no lock, no copy).
/// </summary>
internal sealed class HeldUntilAttached<T>(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Queue<T> _held = new();
    private Action<T>? _handler;
    private long _dropped;

    /// <summary>Items that arrived while the hold was full (not delivered).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Items waiting for a handler.</summary>
    public int Held
    {
        get
        {
            lock (_gate)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Delivers <paramref name="item"/>, or holds <c>own(item)</c> until a handler is attached.</summary>
    public void Deliver(T item, Func<T, T> own)
    {
        if (Volatile.Read(ref _handler) is { } handler)
        {
            handler(item);
            return;
        }

        lock (_gate)
        {
            handler = _handler;
            if (handler is null)
            {
                if (_held.Count < capacity)
                {
                    _held.Enqueue(own(item));
                }
                else
                {
                    Interlocked.Increment(ref _dropped);
                }

                return;
            }
        }

        handler(item);
    }

    /// <summary>Attaches the one handler: the held items are delivered to it first, then it receives the rest.</summary>
    public void Attach(Action<T> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            if (_handler is not null)
            {
                throw new InvalidOperationException("A handler is already attached.");
            }

            while (_held.TryDequeue(out var item))
            {
                handler(item);
            }

            Volatile.Write(ref _handler, handler);
        }
    }
}
