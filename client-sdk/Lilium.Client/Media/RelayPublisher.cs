using System.Collections.Concurrent;
using System.Threading.Channels;
using Lilium.Protocol;

namespace Lilium.Client.Media;

/// <summary>
/// A host's publisher that stays published by itself (relay fleet, docs/sdk.md): it fetches its grant over REST
/// (waiting while a relay starts) and publishes again — new grant, new WHIP, the viewers' grants re-applied, a keyframe
/// requested — when the connection closes or <c>session.relay</c> names another relay. Frames sent while it
/// reconnects are dropped (<see cref="SendVideoFrame"/> returns false).
/// </summary>
public sealed class RelayPublisher : IMediaPublisher, IAsyncDisposable
{
    private readonly RelayLink<MediaPublisher> _link;
    private readonly ConcurrentDictionary<Guid, InputPermissions> _grants = new();
    private readonly Channel<RemoteInput> _input = Channel.CreateBounded<RemoteInput>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly CancellationTokenSource _stop = new();
    private readonly string _codec;
    private long _framesBefore;
    private long _retransmissionsBefore;
    private long _keyframeRequestsBefore;
    private MediaPublisher? _wired;

    private RelayPublisher(RelayLinkOptions options, string videoCodec)
    {
        _codec = videoCodec.ToUpperInvariant();
        _link = new RelayLink<MediaPublisher>(
            options,
            (grant, ct) => MediaPublisher.ConnectAsync(options.Http, options.Relay, options.Session, grant.Token, videoCodec, options.ConnectTimeout, ct),
            publisher => publisher.Closed,
            Wire);
    }

    /// <inheritdoc/>
    public event Action? KeyframeRequested;

    /// <inheritdoc/>
    public event Action<ulong>? BitrateEstimated;

    /// <inheritdoc/>
    public event Action<ViewerPresence>? ViewerJoined;

    /// <inheritdoc/>
    public event Action<ViewerPresence>? ViewerLeft;

    /// <summary>Raised after each republish, with the relay the new grant names.</summary>
    public event Action<string?>? Republished;

    /// <inheritdoc/>
    public string VideoCodec => _codec;

    /// <summary>
    /// Completes when the session is over (<c>session.ended</c> for it, or a fresh grant refused because it ended):
    /// the publisher no longer republishes and <see cref="SendVideoFrame"/> returns false. Never on dispose.
    /// </summary>
    public Task<SessionOverException> Ended => _link.Ended;

    /// <summary>How many times it published again after the first time.</summary>
    public int Republishes => _link.Reconnects;

    /// <summary>The relay the current grant names (null in single-relay deployments).</summary>
    public string? RelayId => _link.RelayId;

    /// <summary>Frames sent so far, over every connection.</summary>
    public long FramesSent => Interlocked.Read(ref _framesBefore) + (_link.Current?.FramesSent ?? 0);

    /// <summary>Packets resent so far, over every connection.</summary>
    public long Retransmissions => Interlocked.Read(ref _retransmissionsBefore) + (_link.Current?.Retransmissions ?? 0);

    /// <summary>Keyframe requests so far, over every connection.</summary>
    public long KeyframeRequests => Interlocked.Read(ref _keyframeRequestsBefore) + (_link.Current?.KeyframeRequests ?? 0);

    /// <summary>Publishes (waiting while a relay starts).</summary>
    public static async Task<RelayPublisher> ConnectAsync(RelayLinkOptions options, string videoCodec = "VP8", CancellationToken cancellationToken = default)
    {
        if (videoCodec.ToUpperInvariant() is not ("VP8" or "H264"))
        {
            throw new ArgumentException($"Unknown video codec '{videoCodec}' (VP8 or H264).", nameof(videoCodec));
        }

        var publisher = new RelayPublisher(options, videoCodec);
        await publisher._link.StartAsync(cancellationToken);
        return publisher;
    }

    /// <inheritdoc/>
    public bool SendVideoFrame(ReadOnlySpan<byte> frame, uint rtpTimestamp) => _link.Current?.SendVideoFrame(frame, rtpTimestamp) ?? false;

    /// <inheritdoc/>
    public bool SendAudio(ReadOnlySpan<byte> opus, uint rtpTimestamp) => _link.Current?.SendAudio(opus, rtpTimestamp) ?? false;

    /// <inheritdoc/>
    public IAsyncEnumerable<RemoteInput> ReadInputAsync(CancellationToken cancellationToken = default) => _input.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Sets the grant on the current relay and remembers it, to set it again after a republish.</summary>
    public async Task<GrantApplied> SetViewerGrantAsync(Guid viewer, InputPermissions permissions, CancellationToken cancellationToken = default)
    {
        _grants[viewer] = permissions;
        var current = _link.Current ?? throw new LiliumException("The publisher is reconnecting to a relay; the grant applies when it is back.");
        return await current.SetViewerGrantAsync(viewer, permissions, cancellationToken);
    }

    private void Wire(MediaPublisher publisher)
    {
        if (_wired is { } old)
        {
            old.KeyframeRequested -= OnKeyframe;
            old.BitrateEstimated -= OnBitrate;
            old.ViewerJoined -= OnJoined;
            old.ViewerLeft -= OnLeft;
            Interlocked.Add(ref _framesBefore, old.FramesSent);
            Interlocked.Add(ref _retransmissionsBefore, old.Retransmissions);
            Interlocked.Add(ref _keyframeRequestsBefore, old.KeyframeRequests);
        }

        _wired = publisher;
        publisher.KeyframeRequested += OnKeyframe;
        publisher.BitrateEstimated += OnBitrate;
        publisher.ViewerJoined += OnJoined;
        publisher.ViewerLeft += OnLeft;
        _ = Task.Run(async () =>
        {
            try
            {
                await foreach (var input in publisher.ReadInputAsync(_stop.Token))
                {
                    _input.Writer.TryWrite(input);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        if (_link.Reconnects > 0 || !_grants.IsEmpty)
        {
            _ = Task.Run(async () =>
            {
                foreach (var (viewer, permissions) in _grants)
                {
                    try
                    {
                        await publisher.SetViewerGrantAsync(viewer, permissions, _stop.Token);
                    }
                    catch (Exception ex) when (ex is LiliumException or OperationCanceledException or TimeoutException)
                    {
                    }
                }
            }, CancellationToken.None);
            KeyframeRequested?.Invoke(); // the new relay's viewers start from a keyframe
            Republished?.Invoke(_link.RelayId);
        }
    }

    private void OnKeyframe() => KeyframeRequested?.Invoke();

    private void OnBitrate(ulong bps) => BitrateEstimated?.Invoke(bps);

    private void OnJoined(ViewerPresence presence) => ViewerJoined?.Invoke(presence);

    private void OnLeft(ViewerPresence presence) => ViewerLeft?.Invoke(presence);

    /// <summary>Leaves (WHIP DELETE of the current connection) and stops republishing.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _link.DisposeAsync();
        _input.Writer.TryComplete();
        _stop.Dispose();
    }
}
