using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Lilium.Protocol;
using Lilium.Protocol.Control;
using Lilium.Input;
using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;

namespace Lilium.Client.Media;

/// <summary>
/// The host's media connection: publishes VP8 video and Opus audio to the relay through WHIP,
/// answers NACKs from a send cache, raises <see cref="KeyframeRequested"/> on PLI/FIR, receives the
/// viewers' input (only what their grants allow; the relay enforces it) and changes a viewer's
/// grant live on the control channel.
/// </summary>
public sealed class MediaPublisher : IMediaPublisher, IAsyncDisposable
{
    private const int CacheSize = 1024;

    private readonly RelayPeerConnection _peer;
    private readonly DataChannel? _input;
    private readonly DataChannel? _control;
    private readonly uint _videoSsrc;
    private readonly uint _audioSsrc;
    private readonly ClientOfferSpec _spec;
    private readonly List<Range> _nals = [];
    private readonly byte[][] _cache = new byte[CacheSize][];
    private readonly int[] _cacheLength = new int[CacheSize];
    private readonly Lock _videoLock = new();
    private readonly Channel<RemoteInput> _inputEvents = Channel.CreateBounded<RemoteInput>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<GrantApplied>> _pendingGrants = new();
    private readonly byte[] _packet = new byte[1500];
    private readonly byte[] _protected = new byte[1500];
    private ushort _videoSeq = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue);
    private ushort _audioSeq = (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue);
    private long _framesSent;
    private long _retransmissions;
    private long _keyframeRequests;

    private MediaPublisher(RelayPeerConnection peer, ClientOfferSpec spec, DataChannel? input, DataChannel? control)
    {
        _peer = peer;
        _spec = spec;
        _videoSsrc = spec.VideoSsrc;
        _audioSsrc = spec.AudioSsrc;
        _input = input;
        _control = control;
        for (var i = 0; i < CacheSize; i++)
        {
            _cache[i] = new byte[1500];
        }

        peer.OnRtcp(OnRtcp);
        if (peer.DataChannels is { } channels)
        {
            channels.MessageReceived += OnMessage;
        }
    }

    /// <summary>The relay asked for a keyframe (a viewer joined or lost packets): encode the next frame as one.</summary>
    public event Action? KeyframeRequested;

    /// <summary>The relay's receiver-estimated maximum bitrate (REMB, bits/s) for the video stream.</summary>
    public event Action<ulong>? BitrateEstimated;

    /// <summary>The video encoding this publisher sends: <c>VP8</c> or <c>H264</c>.</summary>
    public string VideoCodec => _spec.IsH264 ? "H264" : "VP8";

    /// <summary>A viewer opened its input channel (or was already connected when the host connected).</summary>
    public event Action<ViewerPresence>? ViewerJoined;

    /// <summary>A viewer's media connection ended.</summary>
    public event Action<ViewerPresence>? ViewerLeft;

    /// <summary>Frames sent so far.</summary>
    public long FramesSent => Interlocked.Read(ref _framesSent);

    /// <summary>Packets resent because the relay NACKed them.</summary>
    public long Retransmissions => Interlocked.Read(ref _retransmissions);

    /// <summary>PLI/FIR received.</summary>
    public long KeyframeRequests => Interlocked.Read(ref _keyframeRequests);

    /// <summary>Completes with a reason when the relay connection ends.</summary>
    public Task<string> Closed => _peer.Closed;

    /// <summary>Publishes to <c>{relay}/whip/{session}</c> with a host grant; fails with <see cref="RelayUnavailableException"/> or <see cref="RelayRejectedException"/>.</summary>
    public static Task<MediaPublisher> ConnectAsync(HttpClient http, Uri relay, Guid session, string grant, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ConnectAsync(http, relay, session, grant, "VP8", timeout, cancellationToken);

    /// <summary>As above, publishing <paramref name="videoCodec"/> (<c>VP8</c>, or <c>H264</c> packetization-mode 1).</summary>
    public static async Task<MediaPublisher> ConnectAsync(HttpClient http, Uri relay, Guid session, string grant, string videoCodec, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (videoCodec.ToUpperInvariant() is not ("VP8" or "H264"))
        {
            throw new ArgumentException($"Unknown video codec '{videoCodec}' (VP8 or H264).", nameof(videoCodec));
        }

        var video = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        var audio = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue);
        var spec = new ClientOfferSpec(Publish: true, video, audio, DataChannel: true, videoCodec.ToUpperInvariant());
        var peer = await RelayPeerConnection.ConnectAsync(http, new Uri(relay, $"/whip/{session}"), grant, spec, timeout ?? TimeSpan.FromSeconds(15), cancellationToken);
        try
        {
            DataChannel? input = null;
            DataChannel? control = null;
            if (peer.DataChannels is { } channels)
            {
                input = await channels.OpenAsync(new DataChannelParameters { Label = DataChannels.InputLabel, Protocol = DataChannels.InputProtocol }, cancellationToken);
                control = await channels.OpenAsync(new DataChannelParameters { Label = DataChannels.ControlLabel, Protocol = DataChannels.ControlProtocol }, cancellationToken);
            }

            var publisher = new MediaPublisher(peer, spec, input, control);
            return publisher;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Sends one encoded frame with its 90 kHz timestamp — a VP8 frame (RFC 6386), or for H.264 an
    /// Annex B access unit — and returns when its last packet has left the socket; false if the connection is not up.
    /// </summary>
    public bool SendVideoFrame(ReadOnlySpan<byte> frame, uint rtpTimestamp)
    {
        if (frame.IsEmpty)
        {
            throw new ArgumentException("A frame has at least one byte.", nameof(frame));
        }

        if (_spec.IsH264)
        {
            return SendH264(frame, rtpTimestamp);
        }

        lock (_videoLock)
        {
            var count = Vp8Packetizer.PacketCount(frame.Length);
            for (var i = 0; i < count; i++)
            {
                var seq = _videoSeq++;
                var header = RtpHeader.WriteFixed(_packet, i == count - 1, ClientOfferSpec.Vp8PayloadType, seq, rtpTimestamp, _videoSsrc);
                var length = header + Vp8Packetizer.WritePayload(frame, i, _packet.AsSpan(header));
                var slot = seq % CacheSize;
                if (!_peer.SendRtp(_packet.AsSpan(0, length), _cache[slot], out var protectedLength))
                {
                    return false;
                }

                _cacheLength[slot] = protectedLength;
            }
        }

        Interlocked.Increment(ref _framesSent);
        return true;
    }

    private bool SendH264(ReadOnlySpan<byte> accessUnit, uint rtpTimestamp)
    {
        lock (_videoLock)
        {
            _nals.Clear();
            H264Packetizer.FindNals(accessUnit, _nals);
            if (_nals.Count == 0)
            {
                throw new ArgumentException("The access unit has no Annex B start code.", nameof(accessUnit));
            }

            for (var n = 0; n < _nals.Count; n++)
            {
                var nal = accessUnit[_nals[n]];
                var count = H264Packetizer.PacketCount(nal.Length);
                for (var i = 0; i < count; i++)
                {
                    var seq = _videoSeq++;
                    var last = n == _nals.Count - 1 && i == count - 1;
                    var header = RtpHeader.WriteFixed(_packet, last, ClientOfferSpec.H264PayloadType, seq, rtpTimestamp, _videoSsrc);
                    var length = header + H264Packetizer.WritePayload(nal, i, _packet.AsSpan(header));
                    var slot = seq % CacheSize;
                    if (!_peer.SendRtp(_packet.AsSpan(0, length), _cache[slot], out var protectedLength))
                    {
                        return false;
                    }

                    _cacheLength[slot] = protectedLength;
                }
            }
        }

        Interlocked.Increment(ref _framesSent);
        return true;
    }

    /// <summary>Sends one Opus packet with its 48 kHz timestamp.</summary>
    public bool SendAudio(ReadOnlySpan<byte> opus, uint rtpTimestamp)
    {
        lock (_videoLock)
        {
            var header = RtpHeader.WriteFixed(_packet, true, ClientOfferSpec.OpusPayloadType, _audioSeq++, rtpTimestamp, _audioSsrc);
            opus.CopyTo(_packet.AsSpan(header));
            return _peer.SendRtp(_packet.AsSpan(0, header + opus.Length), _protected, out _);
        }
    }

    /// <summary>Input events from viewers, as the relay let them through, in arrival order.</summary>
    public IAsyncEnumerable<RemoteInput> ReadInputAsync(CancellationToken cancellationToken = default) => _inputEvents.Reader.ReadAllAsync(cancellationToken);

    /// <summary>
    /// Changes what a viewer may do, at the relay, at once: the next event is checked against the new
    /// grant and anything the viewer held down is released. Completes when the relay confirms.
    /// (Persisting the grant for later sessions is the signaling <c>grant.update</c>.)
    /// </summary>
    public async Task<GrantApplied> SetViewerGrantAsync(Guid viewer, InputPermissions permissions, CancellationToken cancellationToken = default)
    {
        if (_control is null || _peer.DataChannels is not { } channels)
        {
            throw new LiliumException("The relay did not accept a data channel; input control is unavailable.");
        }

        var waiter = new TaskCompletionSource<GrantApplied>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingGrants[viewer] = waiter;
        var json = ControlMessage.WithPermissions(ControlTypes.Grant, viewer, permissions).ToJson();
        if (!channels.Send(_control, json))
        {
            throw new LiliumException("The control channel is closed.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        return await waiter.Task.WaitAsync(timeout.Token);
    }

    private void OnMessage(DataChannel channel, DataChannelMessage message)
    {
        if (ReferenceEquals(channel, _input))
        {
            if (InputWire.TryReadForwarded(message.Data, out var viewer, out var inner) && InputEvent.TryRead(inner, out var e, out var sequence))
            {
                _inputEvents.Writer.TryWrite(new RemoteInput(viewer, e!, sequence, DateTimeOffset.UtcNow));
            }
        }
        else if (ReferenceEquals(channel, _control) && message.IsText)
        {
            if (ControlMessage.TryParse(message.Data) is not { Viewer: { } who } control)
            {
                return;
            }

            var permissions = control.Permissions?.ToFlags() ?? InputPermissions.None;
            switch (control.Type)
            {
                case ControlTypes.GrantApplied when _pendingGrants.TryRemove(who, out var waiter):
                    waiter.TrySetResult(new GrantApplied(who, permissions, control.Peers ?? 0, control.Released ?? 0));
                    break;
                case ControlTypes.ViewerJoined:
                    ViewerJoined?.Invoke(new ViewerPresence(who, control.Peer ?? Guid.Empty, permissions));
                    break;
                case ControlTypes.ViewerLeft:
                    ViewerLeft?.Invoke(new ViewerPresence(who, control.Peer ?? Guid.Empty, permissions));
                    break;
            }
        }
    }

    private void OnRtcp(ReadOnlyMemory<byte> compound)
    {
        var span = compound.Span;
        for (var at = 0; at + 4 <= span.Length;)
        {
            var length = (BinaryPrimitives.ReadUInt16BigEndian(span[(at + 2)..]) + 1) * 4;
            if (at + length > span.Length)
            {
                return;
            }

            var packet = span.Slice(at, length);
            if (GenericNack.TryParse(packet, out var feedback, out var lost) && feedback.MediaSsrc == _videoSsrc)
            {
                lock (_videoLock)
                {
                    foreach (var seq in lost)
                    {
                        var slot = seq % CacheSize;
                        if (_cacheLength[slot] > 0 && BinaryPrimitives.ReadUInt16BigEndian(_cache[slot].AsSpan(2)) == seq)
                        {
                            _peer.Resend(_cache[slot].AsSpan(0, _cacheLength[slot]));
                            Interlocked.Increment(ref _retransmissions);
                        }
                    }
                }
            }
            else if (ReceiverEstimatedMaxBitrate.TryParse(packet, out var remb) && remb is not null)
            {
                BitrateEstimated?.Invoke(remb.Bitrate);
            }
            else if (RtcpFeedback.TryRead(packet, out var fb, out _) && fb.Type == RtcpPacketType.PayloadFeedback && fb.Format is RtcpFeedback.PliFormat or RtcpFeedback.FirFormat)
            {
                Interlocked.Increment(ref _keyframeRequests);
                KeyframeRequested?.Invoke();
            }

            at += length;
        }
    }

    /// <summary>Stops publishing (WHIP DELETE) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _inputEvents.Writer.TryComplete();
        await _peer.DisposeAsync();
    }
}

/// <summary>One input event a viewer sent, as forwarded by the relay.</summary>
/// <param name="Viewer">The viewer's user id.</param>
/// <param name="Event">The decoded event.</param>
/// <param name="Sequence">The relay's sequence number for the host (releases it synthesizes included).</param>
/// <param name="ReceivedAt">When it arrived.</param>
public sealed record RemoteInput(Guid Viewer, InputEvent Event, ushort Sequence, DateTimeOffset ReceivedAt);

/// <summary>The relay's confirmation of a live grant change.</summary>
/// <param name="Viewer">The viewer's user id.</param>
/// <param name="Permissions">The grant now in force.</param>
/// <param name="ConnectedPeers">How many of the viewer's connections it reached now (later ones get it too).</param>
/// <param name="Released">Keys, buttons and sticks the relay released on the host because of it.</param>
public sealed record GrantApplied(Guid Viewer, InputPermissions Permissions, int ConnectedPeers, int Released);

/// <summary>A viewer connected to (or left) the host's session at the relay.</summary>
/// <param name="Viewer">The viewer's user id.</param>
/// <param name="Peer">The relay's id for that connection.</param>
/// <param name="Permissions">The viewer's grant at that moment.</param>
public sealed record ViewerPresence(Guid Viewer, Guid Peer, InputPermissions Permissions);
