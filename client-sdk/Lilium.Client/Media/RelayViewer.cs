using System.Threading.Channels;
using Lilium.Client.Signaling;
using Lilium.Input;
using Lilium.Protocol.Signaling;

namespace Lilium.Client.Media;

/// <summary>
/// A viewer that stays subscribed by itself (relay fleet, docs/sdk.md): frames of every <see cref="MediaViewer"/> it
/// opens arrive on one <see cref="VideoFrames"/> reader. It fetches its grant over REST (waiting while a relay starts),
/// and subscribes again — new grant, new WHEP — when the connection closes, when <c>session.relay</c> names another
/// relay, or when media stops for <see cref="RelayLinkOptions.MediaTimeout"/> and the control plane confirms the
/// relay changed (<c>relay-check</c>). When the session is over for the viewer — the host removed them
/// (<c>session.kicked</c>), ended it (<c>session.ended</c>), or a fresh grant is refused — it stops for good:
/// <see cref="Ended"/> completes and <see cref="VideoFrames"/> completes with that <see cref="SessionOverException"/>.
/// </summary>
public sealed class RelayViewer : IAsyncDisposable
{
    private readonly RelayLinkOptions _options;
    private readonly RelayLink<MediaViewer> _link;
    private readonly Channel<VideoFrame> _video = Channel.CreateBounded<VideoFrame>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _mediaTimeout;
    private readonly TimeProvider _time;
    private Task _watch = Task.CompletedTask;
    private long _frames;
    private long _lastMediaAt;
    private long _framesBefore;

    private RelayViewer(RelayLinkOptions options, TimeProvider time)
    {
        _options = options;
        _mediaTimeout = options.MediaTimeout;
        _time = time;
        _link = new RelayLink<MediaViewer>(
            options,
            (grant, ct) => MediaViewer.ConnectAsync(options.Http, options.Relay, options.Session, grant.Token, options.ConnectTimeout, ct),
            viewer => viewer.Closed,
            Pump);
        _ = _link.Ended.ContinueWith(t => _video.Writer.TryComplete(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>Completes when the session is over for this viewer (removed, ended, no longer admitted); never on dispose.</summary>
    public Task<SessionOverException> Ended => _link.Ended;

    /// <summary>Complete video frames from whichever relay serves the session now (each connection starts with a keyframe).</summary>
    public ChannelReader<VideoFrame> VideoFrames => _video.Reader;

    /// <summary>Frames delivered so far, over every connection.</summary>
    public long FramesReceived => Interlocked.Read(ref _frames);

    /// <summary>How many times it subscribed again after the first time.</summary>
    public int Resubscribes => _link.Reconnects;

    /// <summary>The relay the current grant names (null in single-relay deployments).</summary>
    public string? RelayId => _link.RelayId;

    /// <summary>The current connection (null while reconnecting).</summary>
    public MediaViewer? Current => _link.Current;

    /// <summary>Video statistics of the current connection plus the frames of the earlier ones.</summary>
    public (long Frames, long Packets, long Nacks, long Plis) VideoStats =>
        _link.Current is { } v ? v.VideoStats with { Frames = FramesReceived } : (FramesReceived, 0, 0, 0);

    /// <summary>Audio packets of the current connection.</summary>
    public long AudioPacketsReceived => _link.Current?.AudioPacketsReceived ?? 0;

    /// <summary>Subscribes (waiting while a relay starts, and while the host has not published yet).</summary>
    public static async Task<RelayViewer> ConnectAsync(RelayLinkOptions options, CancellationToken cancellationToken = default)
    {
        var viewer = new RelayViewer(options, TimeProvider.System);
        if (options.Signaling is { } signaling)
        {
            signaling.MessageReceived += viewer.OnSignaling; // before the first connect: a kick may come while it waits
        }

        try
        {
            await viewer._link.StartAsync(cancellationToken);
        }
        catch
        {
            await viewer.DisposeAsync();
            throw;
        }

        viewer._watch = Task.Run(viewer.WatchAsync, CancellationToken.None);
        return viewer;
    }

    /// <summary>The host removed this viewer: stop for good (the relay drops the peer too). The link itself ends on <c>session.ended</c>.</summary>
    private void OnSignaling(SignalingMessage message)
    {
        if (message.Action == Actions.SessionKicked && message.Guid("session") == _options.Session)
        {
            _link.End(new SessionOverException("The host removed you from the session."));
        }
    }

    /// <summary>Sends input on the current connection; false while reconnecting.</summary>
    public bool SendInput(InputEvent inputEvent) => _link.Current?.SendInput(inputEvent) ?? false;

    private void Pump(MediaViewer viewer)
    {
        Interlocked.Exchange(ref _lastMediaAt, _time.GetTimestamp());
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var frame in viewer.VideoFrames.ReadAllAsync(_stop.Token))
                {
                    Interlocked.Increment(ref _frames);
                    _video.Writer.TryWrite(frame);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
    }

    /// <summary>Media lost: no video packet (or frame) for the media timeout on a connection that is still up.</summary>
    private async Task WatchAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200), _time);
        long lastPackets = -1;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (_link.Current is not { } current)
                {
                    lastPackets = -1;
                    continue;
                }

                var packets = current.VideoStats.Packets + current.AudioPacketsReceived;
                var frames = Interlocked.Read(ref _frames);
                if (packets != lastPackets || frames != _framesBefore)
                {
                    lastPackets = packets;
                    _framesBefore = frames;
                    Interlocked.Exchange(ref _lastMediaAt, _time.GetTimestamp());
                    continue;
                }

                if (_time.GetElapsedTime(Interlocked.Read(ref _lastMediaAt)) >= _mediaTimeout)
                {
                    Interlocked.Exchange(ref _lastMediaAt, _time.GetTimestamp()); // one check per timeout
                    _link.MediaLost();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Leaves (WHEP DELETE of the current connection) and stops reconnecting.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_options.Signaling is { } signaling)
        {
            signaling.MessageReceived -= OnSignaling;
        }

        await _stop.CancelAsync();
        await _watch;
        await _link.DisposeAsync();
        _video.Writer.TryComplete();
        _stop.Dispose();
    }
}
