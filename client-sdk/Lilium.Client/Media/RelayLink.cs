using Lilium.Client.Api;
using Lilium.Client.Signaling;
using Lilium.Protocol.Signaling;

namespace Lilium.Client.Media;

/// <summary>
/// What a self-healing media connection (<see cref="RelayViewer"/>, <see cref="RelayPublisher"/>) needs: the API for
/// grants and relay checks, the shared relay base URL, the session, and optionally the signaling client whose
/// <c>session.relay</c> pushes trigger a move at once.
/// </summary>
/// <param name="Api">Grants (waiting while a relay starts) and <c>relay-check</c>.</param>
/// <param name="Http">The HTTP client for WHIP/WHEP.</param>
/// <param name="Relay">The one shared relay base URL (the load balancer; locally the supervisor's port).</param>
/// <param name="Session">The session.</param>
public sealed record RelayLinkOptions(LiliumApiClient Api, HttpClient Http, Uri Relay, Guid Session)
{
    /// <summary>Pushes <c>session.relay</c>: on <c>ready</c>/<c>moved</c> naming another relay, reconnect at once.</summary>
    public SignalingClient? Signaling { get; init; }

    /// <summary>How long media may stop before the client asks the control plane to check its relay (viewers).</summary>
    public TimeSpan MediaTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one connect attempt may take (WHIP/WHEP, ICE, DTLS; a viewer also waits for the publisher).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>What the connection is doing, in a sentence (waiting for a relay, reconnecting, back).</summary>
    public Action<string>? Status { get; init; }
}

/// <summary>
/// The reconnect loop shared by viewers and publishers: keeps one connection of type <typeparamref name="T"/> up; when
/// it closes, when <c>session.relay</c> names another relay, or when the owner reports media lost (and the control
/// plane confirms the relay changed), it fetches a fresh grant (waiting while a relay starts) and connects again
/// through the same relay base URL, with no user action.
/// </summary>
internal sealed class RelayLink<T> : IAsyncDisposable
    where T : class, IAsyncDisposable
{
    private readonly RelayLinkOptions _options;
    private readonly Func<RelayGrant, CancellationToken, Task<T>> _connect;
    private readonly Func<T, Task<string>> _closed;
    private readonly Action<T> _attached;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly TaskCompletionSource<SessionOverException> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private volatile bool _mediaLost;
    private volatile string? _movedTo;
    private int _reconnects;

    public RelayLink(RelayLinkOptions options, Func<RelayGrant, CancellationToken, Task<T>> connect, Func<T, Task<string>> closed, Action<T> attached)
    {
        _options = options;
        _connect = connect;
        _closed = closed;
        _attached = attached;
    }

    private T? _current;

    /// <summary>The live connection; null while reconnecting and after <see cref="End"/>.</summary>
    public T? Current => Volatile.Read(ref _current);

    /// <summary>The relay the current grant names (null: any relay, single-relay deployments).</summary>
    public string? RelayId { get; private set; }

    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>
    /// Completes when the session is over for this client (<see cref="End"/>, or a grant refused because the session
    /// ended or the client is no longer admitted): the link no longer reconnects. Not completed by disposal.
    /// </summary>
    public Task<SessionOverException> Ended => _ended.Task;

    /// <summary>
    /// Stops for good: no more reconnects, the current connection is closed (without waiting for the relay's answer),
    /// and <see cref="Ended"/> completes with <paramref name="reason"/>. Idempotent; the first reason wins.
    /// </summary>
    public void End(SessionOverException reason)
    {
        if (!_ended.TrySetResult(reason))
        {
            return;
        }

        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            return; // disposed meanwhile: nothing left to close
        }

        if (Interlocked.Exchange(ref _current, null) is { } current)
        {
            _ = DisposeQuietlyAsync(current);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var first = await ConnectFirstAsync(cancellationToken);
        Attach(first.Connection, first.RelayId);
        if (_options.Signaling is { } signaling)
        {
            signaling.MessageReceived += OnSignaling;
        }

        _loop = Task.Run(LoopAsync, CancellationToken.None);
    }

    /// <summary>The owner saw its media stop: check the relay, and reconnect if it moved or died.</summary>
    public void MediaLost()
    {
        _mediaLost = true;
        Wake();
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // Disposed: nothing to wake.
        }
    }

    private void OnSignaling(SignalingMessage message)
    {
        if (message.Action == Actions.SessionEnded && message.Guid("session") == _options.Session)
        {
            End(SessionOverException.Ended(message.String("reason")));
            return;
        }

        if (message.Action != Actions.SessionRelay || message.Guid("session") != _options.Session)
        {
            return;
        }

        var state = message.String("state");
        var relay = message.String("relayId");
        if (state is RelayStates.Ready or RelayStates.Moved && relay != RelayId)
        {
            _movedTo = relay;
            Wake();
        }
        else if (state == RelayStates.Starting)
        {
            _options.Status?.Invoke($"Starting a relay… ~{message.Int("etaSeconds") ?? 5} s");
        }
    }

    private void Attach(T connection, string? relayId)
    {
        Volatile.Write(ref _current, connection);
        if (_ended.Task.IsCompleted && Interlocked.CompareExchange(ref _current, null, connection) == connection)
        {
            _ = DisposeQuietlyAsync(connection); // connected while the session ended: not wanted any more
            return;
        }

        RelayId = relayId;
        _attached(connection);
        var closed = _closed(connection);
        _ = closed.ContinueWith(_ => Wake(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task LoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await _wake.WaitAsync(_stop.Token);
                if (Current is not { } current)
                {
                    continue; // ended meanwhile
                }

                var closed = _closed(current).IsCompleted;
                var moved = _movedTo is not null && _movedTo != RelayId;
                if (!closed && !moved && _mediaLost)
                {
                    // Media stopped but the connection looks up: ask the control plane. It re-places the session if the
                    // relay is gone; if the relay is the same one, this connection stays.
                    _mediaLost = false;
                    try
                    {
                        var check = await _options.Api.RelayCheckAsync(_options.Session, _stop.Token);
                        moved = check.State != RelayStates.Ready || check.RelayId != RelayId;
                    }
                    catch (LiliumException)
                    {
                        moved = false; // the API is unreachable: keep what we have and look again next time
                    }
                }

                if (!closed && !moved)
                {
                    continue;
                }

                _mediaLost = false;
                _movedTo = null;
                _options.Status?.Invoke(closed ? "The relay connection closed; reconnecting…" : "The session moved to another relay; reconnecting…");
                if (Interlocked.CompareExchange(ref _current, null, current) == current)
                {
                    _ = DisposeQuietlyAsync(current); // a dead relay never answers the DELETE: do not wait for it
                }

                var next = await ConnectWithRetriesAsync(closed);
                Interlocked.Increment(ref _reconnects);
                Attach(next.Connection, next.RelayId);
                _options.Status?.Invoke($"Reconnected{(next.RelayId is { } id ? " to relay " + id : "")}.");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<(T Connection, string? RelayId)> ConnectWithRetriesAsync(bool checkFirst)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            _stop.Token.ThrowIfCancellationRequested();
            try
            {
                if (checkFirst)
                {
                    await _options.Api.RelayCheckAsync(_options.Session, _stop.Token);
                }

                return await ConnectOnceAsync(_stop.Token);
            }
            catch (LiliumProblemException ex) when (ex.Code is "session-ended" or "session-not-found" or "not-admitted")
            {
                End(new SessionOverException("The session is over for you: " + ex.Message, ex));
                throw new OperationCanceledException(ex.Message, ex);
            }
            catch (LiliumException ex)
            {
                _options.Status?.Invoke("Reconnecting: " + ex.Message);
            }

            await Task.Delay(delay, _stop.Token);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            checkFirst = true;
        }
    }

    /// <summary>
    /// The first connection: a relay that is not live (503 <c>relay-unavailable</c>, <c>draining</c>) or not reachable
    /// is retried after a relay check for up to twice the connect timeout; any other refusal is the caller's.
    /// </summary>
    private async Task<(T Connection, string? RelayId)> ConnectFirstAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + (2 * _options.ConnectTimeout);
        while (true)
        {
            try
            {
                return await ConnectOnceAsync(cancellationToken);
            }
            catch (LiliumException ex) when (DateTime.UtcNow < deadline && ex is LiliumUnavailableException or LiliumProblemException { Status: 502 or 503 })
            {
                _options.Status?.Invoke("Waiting for the relay: " + ex.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                try
                {
                    await _options.Api.RelayCheckAsync(_options.Session, cancellationToken);
                }
                catch (LiliumException)
                {
                }
            }
        }
    }

    private async Task<(T Connection, string? RelayId)> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var progress = _options.Status is { } status ? new SyncProgress(p => status(p.ToString())) : null;
        var grant = await _options.Api.IssueRelayGrantAsync(_options.Session, progress, cancellationToken);
        return (await _connect(grant, cancellationToken), grant.Relay?.RelayId);
    }

    private static async Task DisposeQuietlyAsync(T connection)
    {
        try
        {
            await connection.DisposeAsync();
        }
        catch (Exception ex) when (ex is LiliumException or IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_options.Signaling is { } signaling)
        {
            signaling.MessageReceived -= OnSignaling;
        }

        await _stop.CancelAsync();
        await _loop;
        if (Interlocked.Exchange(ref _current, null) is { } current)
        {
            await current.DisposeAsync();
        }

        _stop.Dispose();
        _wake.Dispose();
    }

    /// <summary>Reports on the caller's thread (no SynchronizationContext hop, unlike <see cref="Progress{T}"/>).</summary>
    private sealed class SyncProgress(Action<RelayStartProgress> report) : IProgress<RelayStartProgress>
    {
        public void Report(RelayStartProgress value) => report(value);
    }
}
