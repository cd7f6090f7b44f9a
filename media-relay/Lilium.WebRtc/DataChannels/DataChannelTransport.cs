using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.DataChannels;

/// <summary>
/// Drives a <see cref="DataChannelEndpoint"/> in real time: serializes every call under one lock,
/// runs its timers on <see cref="TimeProvider"/>, and raises events after the lock is released so
/// handlers may call back in. Packets come in through <see cref="Receive"/> (from the DTLS
/// transport's read loop) and go out through the delegate given at construction.
/// </summary>
public sealed class DataChannelTransport : IDisposable
{
    private readonly Lock _gate = new();
    private readonly DataChannelEndpoint _endpoint;
    private readonly EventSink _sink;
    private readonly TimeProvider _time;
    private readonly long _origin;
    private readonly ITimer _timer;
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<DataChannel, TaskCompletionSource<DataChannel>> _opening = [];
    private bool _disposed;

    public DataChannelTransport(SctpOptions options, Action<ReadOnlySpan<byte>> sendPacket, bool useEvenStreamIds, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _origin = _time.GetTimestamp();
        _sink = new EventSink(sendPacket) { Owner = this };
        _endpoint = new DataChannelEndpoint(options, _sink, useEvenStreamIds);
        _timer = _time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public event Action<DataChannel>? ChannelOpened;
    public event Action<DataChannel, DataChannelMessage>? MessageReceived;
    public event Action<DataChannel>? ChannelClosed;
    public event Action<string>? Closed;

    /// <summary>Completes when the SCTP association is established.</summary>
    public Task Connected => _connected.Task;

    public SctpStats Stats => _endpoint.Association.Stats;

    /// <summary>Our verification tag: what every packet from the peer must carry (RFC 4960 §8.5).</summary>
    public uint LocalVerificationTag => _endpoint.Association.MyTag;

    public SctpState State
    {
        get
        {
            lock (_gate)
            {
                return _endpoint.Association.State;
            }
        }
    }

    /// <summary>Starts as the initiator (sends INIT). The other side just starts receiving.</summary>
    public void Connect() => Run(now => _endpoint.Connect(now));

    public void Receive(ReadOnlySpan<byte> packet)
    {
        var events = new List<Action>();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _sink.Collect(events);
            _endpoint.HandlePacket(packet, Now);
            ArmTimer();
        }

        Raise(events);
    }

    /// <summary>Opens a channel and completes when the peer acknowledges it (or at once if negotiated).</summary>
    public Task<DataChannel> OpenAsync(DataChannelParameters parameters, CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource<DataChannel>(TaskCreationOptions.RunContinuationsAsynchronously);
        Run(now =>
        {
            var channel = _endpoint.Open(parameters, now);
            if (channel.State == DataChannelState.Open)
            {
                tcs.TrySetResult(channel);
            }
            else
            {
                _opening[channel] = tcs;
            }
        });
        cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
        return tcs.Task;
    }

    public bool Send(DataChannel channel, ReadOnlySpan<byte> data) => Send(channel, data, isText: false);

    public bool Send(DataChannel channel, string text) => Send(channel, System.Text.Encoding.UTF8.GetBytes(text), isText: true);

    private bool Send(DataChannel channel, ReadOnlySpan<byte> data, bool isText)
    {
        var events = new List<Action>();
        bool ok;
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            _sink.Collect(events);
            ok = _endpoint.Send(channel, data, isText, Now);
            ArmTimer();
        }

        Raise(events);
        return ok;
    }

    public void Close(DataChannel channel) => Run(now => _endpoint.Close(channel, now));

    /// <summary>Aborts the association (if any) and stops the timer.</summary>
    public void Dispose()
    {
        var events = new List<Action>();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _sink.Collect(events);
            _endpoint.Association.Abort("transport disposed");
            _disposed = true;
        }

        _timer.Dispose();
        Raise(events);
    }

    private long Now => (long)_time.GetElapsedTime(_origin).TotalMilliseconds;

    private void Run(Action<long> action)
    {
        var events = new List<Action>();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _sink.Collect(events);
            action(Now);
            ArmTimer();
        }

        Raise(events);
    }

    private void OnTimer()
    {
        var events = new List<Action>();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _sink.Collect(events);
            _endpoint.HandleTimeout(Now);
            ArmTimer();
        }

        Raise(events);
    }

    private void ArmTimer()
    {
        var due = _endpoint.NextTimeoutMs;
        _timer.Change(due is { } d ? TimeSpan.FromMilliseconds(Math.Max(0, d - Now)) : Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private void Raise(List<Action> events)
    {
        foreach (var e in events)
        {
            e();
        }
    }

    /// <summary>Turns endpoint callbacks (made under the lock) into deferred event invocations.</summary>
    private sealed class EventSink(Action<ReadOnlySpan<byte>> sendPacket) : IDataChannelEvents
    {
        private List<Action> _events = [];

        public DataChannelTransport? Owner { get; set; }

        public void Collect(List<Action> events) => _events = events;

        public void SendPacket(ReadOnlySpan<byte> packet) => sendPacket(packet);

        public void OnConnected() => _events.Add(() => Owner!._connected.TrySetResult());

        public void OnChannelOpen(DataChannel channel) => _events.Add(() => Owner!.OnOpened(channel));

        public void OnMessage(DataChannel channel, DataChannelMessage message) => _events.Add(() => Owner!.MessageReceived?.Invoke(channel, message));

        public void OnChannelClosed(DataChannel channel) => _events.Add(() => Owner!.ChannelClosed?.Invoke(channel));

        public void OnClosed(string reason) => _events.Add(() =>
        {
            Owner!._connected.TrySetException(new InvalidOperationException("SCTP association closed: " + reason));
            Owner.Closed?.Invoke(reason);
        });
    }

    private void OnOpened(DataChannel channel)
    {
        TaskCompletionSource<DataChannel>? waiter;
        lock (_gate)
        {
            _opening.Remove(channel, out waiter);
        }

        waiter?.TrySetResult(channel);
        ChannelOpened?.Invoke(channel);
    }
}
