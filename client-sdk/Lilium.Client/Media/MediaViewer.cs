using System.Collections.Concurrent;
using System.Threading.Channels;
using Lilium.Input;
using Lilium.Protocol.Control;
using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;

namespace Lilium.Client.Media;

/// <summary>
/// The viewer's media connection: subscribes through WHEP (offering VP8 and H.264; the relay answers with the
/// publisher's codec), reassembles its frames (reorder buffer,
/// NACK, PLI — see <see cref="VideoFrameAssembler"/>), delivers Opus packets, and sends input on an
/// unordered, unreliable <c>input</c> channel (a late pointer move is worthless), which the relay
/// checks against the viewer's grant, and tells the relay how it shows the video on its <c>control</c> channel
/// (<see cref="SetVideoHintAsync"/>).
/// </summary>
public sealed class MediaViewer : IAsyncDisposable
{
    private readonly RelayPeerConnection _peer;
    private readonly DataChannel? _input;
    private readonly DataChannel? _control;
    private readonly ConcurrentQueue<TaskCompletionSource<ControlMessage>> _pendingHints = new();
    private readonly Lock _gate = new();
    private readonly VideoFrameAssembler _assembler;
    private readonly Channel<VideoFrame> _video = Channel.CreateBounded<VideoFrame>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Channel<AudioPacket> _audio = Channel.CreateBounded<AudioPacket>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly byte _videoPt;
    private readonly byte _audioPt;
    private readonly uint _ssrc = (uint)Random.Shared.Next(1, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private uint _videoSsrc;
    private int _inputSequence;
    private long _audioPackets;

    private MediaViewer(RelayPeerConnection peer, DataChannel? input, DataChannel? control, TimeProvider time)
    {
        _peer = peer;
        _input = input;
        _control = control;
        if (peer.DataChannels is { } channels)
        {
            channels.MessageReceived += OnMessage;
        }

        var video = peer.Answer.Media.FirstOrDefault(m => m.Kind == "video" && m.Port != 0)?.RtpMaps.FirstOrDefault();
        _assembler = new VideoFrameAssembler(VideoDepacketizer.For(video?.EncodingName ?? "VP8") ?? new Vp8Depacketizer(), time);
        _videoPt = video is null ? ClientOfferSpec.Vp8PayloadType : (byte)video.PayloadType;
        _audioPt = PayloadType(peer.Answer, "audio") ?? ClientOfferSpec.OpusPayloadType;
        peer.OnRtp(OnRtp);
        _ticker = Task.Run(TickAsync);
    }

    internal RelayPeerConnection Connection => _peer;

    /// <summary>Complete video frames, in order, decodable (the first is a keyframe).</summary>
    public ChannelReader<VideoFrame> VideoFrames => _video.Reader;

    /// <summary>Opus packets as they arrive.</summary>
    public ChannelReader<AudioPacket> AudioPackets => _audio.Reader;

    /// <summary>Audio packets received so far.</summary>
    public long AudioPacketsReceived => Interlocked.Read(ref _audioPackets);

    /// <summary>Video statistics: frames delivered, packets, NACKed sequence numbers, PLIs sent.</summary>
    public (long Frames, long Packets, long Nacks, long Plis) VideoStats
    {
        get
        {
            lock (_gate)
            {
                return (_assembler.FramesEmitted, _assembler.PacketsReceived, _assembler.NacksSent, _assembler.PlisSent);
            }
        }
    }

    /// <summary>Completes with a reason when the relay connection ends.</summary>
    public Task<string> Closed => _peer.Closed;

    /// <summary>
    /// Subscribes at <c>{relay}/whep/{session}</c> with a viewer grant. While the host has not started
    /// publishing the relay answers 409; this retries until <paramref name="timeout"/>.
    /// </summary>
    public static async Task<MediaViewer> ConnectAsync(HttpClient http, Uri relay, Guid session, string grant, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        var started = DateTime.UtcNow;
        var spec = new ClientOfferSpec(Publish: false, 0, 0, DataChannel: true);
        while (true)
        {
            RelayPeerConnection peer;
            try
            {
                peer = await RelayPeerConnection.ConnectAsync(http, new Uri(relay, $"/whep/{session}"), grant, spec, limit, cancellationToken);
            }
            catch (RelayRejectedException ex) when (ex is { Status: 409, Code: "no-publisher" } && DateTime.UtcNow - started < limit)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                continue;
            }

            try
            {
                DataChannel? input = null;
                DataChannel? control = null;
                if (peer.DataChannels is { } channels)
                {
                    input = await channels.OpenAsync(
                        new DataChannelParameters { Label = DataChannels.InputLabel, Protocol = DataChannels.InputProtocol, Ordered = false, MaxRetransmits = 0 },
                        cancellationToken);
                    control = await channels.OpenAsync(new DataChannelParameters { Label = DataChannels.ControlLabel, Protocol = DataChannels.ControlProtocol }, cancellationToken);
                }

                return new MediaViewer(peer, input, control, TimeProvider.System);
            }
            catch
            {
                await peer.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>
    /// Sends one input event to the host. The relay forwards it only if this viewer's current grant
    /// allows its class; false if the input channel is not open.
    /// </summary>
    public bool SendInput(InputEvent inputEvent)
    {
        if (_input is null || _peer.DataChannels is not { } channels)
        {
            return false;
        }

        Span<byte> buffer = stackalloc byte[32];
        var length = inputEvent.WriteTo(buffer, (ushort)Interlocked.Increment(ref _inputSequence));
        return channels.Send(_input, buffer[..length]);
    }

    /// <summary>
    /// Tells the relay how this viewer shows the video (docs/input.md, "Control channel"): <paramref name="paused"/>
    /// stops the video (audio goes on; resuming brings a keyframe at once), and the box it is shown in
    /// (<paramref name="maxWidth"/> × <paramref name="maxHeight"/> device pixels; null = no limit) caps the simulcast
    /// layer at the lowest one that fills it. Each hint replaces the last. Completes with the hint in force when the
    /// relay confirms; a hint the relay refuses throws <see cref="LiliumException"/> with its code.
    /// </summary>
    public Task<ControlMessage> SetVideoHintAsync(bool paused, int? maxWidth = null, int? maxHeight = null, CancellationToken cancellationToken = default)
    {
        var hint = ControlMessage.VideoHint(ControlTypes.Video, paused, maxWidth, maxHeight);
        if (hint.VideoProblem() is { } problem)
        {
            throw new ArgumentOutOfRangeException(maxWidth is < 1 or > ControlMessage.MaxVideoSide ? nameof(maxWidth) : nameof(maxHeight), problem);
        }

        return SendControlAsync(hint.ToJson(), cancellationToken);
    }

    /// <summary>Sends one control message as it is and waits for the relay's answer (tests send malformed ones).</summary>
    internal async Task<ControlMessage> SendControlAsync(string json, CancellationToken cancellationToken = default)
    {
        if (_control is null || _peer.DataChannels is not { } channels)
        {
            throw new LiliumException("The relay did not accept a data channel; video hints are unavailable.");
        }

        var waiter = new TaskCompletionSource<ControlMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pendingHints.Enqueue(waiter); // the channel is ordered and the relay answers each message: answers come in order
        if (!channels.Send(_control, json))
        {
            throw new LiliumException("The control channel is closed.");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        var answer = await waiter.Task.WaitAsync(timeout.Token);
        return answer.Type == ControlTypes.Error ? throw new LiliumException($"The relay refused the control message ({answer.Code}): {answer.Detail}") : answer;
    }

    private void OnMessage(DataChannel channel, DataChannelMessage message)
    {
        if (ReferenceEquals(channel, _control) && message.IsText && ControlMessage.TryParse(message.Data) is { Type: ControlTypes.VideoApplied or ControlTypes.Error } answer
            && _pendingHints.TryDequeue(out var waiter))
        {
            waiter.TrySetResult(answer);
        }
    }

    private void OnRtp(RtpHeader header, ReadOnlyMemory<byte> payload)
    {
        if (header.PayloadType == _audioPt)
        {
            Interlocked.Increment(ref _audioPackets);
            _audio.Writer.TryWrite(new AudioPacket(payload.ToArray(), header.Timestamp));
            return;
        }

        if (header.PayloadType != _videoPt)
        {
            return;
        }

        var ready = new List<VideoFrame>();
        lock (_gate)
        {
            _videoSsrc = header.Ssrc;
            _assembler.Add(header.SequenceNumber, header.Timestamp, header.Marker, payload.Span, ready);
        }

        foreach (var frame in ready)
        {
            _video.Writer.TryWrite(frame);
        }
    }

    private async Task TickAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        var nack = new List<ushort>();
        var ready = new List<VideoFrame>();
        var rtcp = new byte[1200];
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                nack.Clear();
                ready.Clear();
                bool pli;
                uint media;
                lock (_gate)
                {
                    _assembler.Tick(nack, out pli, ready);
                    media = _videoSsrc;
                }

                foreach (var frame in ready)
                {
                    _video.Writer.TryWrite(frame);
                }

                if (media == 0)
                {
                    continue;
                }

                if (nack.Count > 0)
                {
                    _peer.SendRtcp(rtcp.AsSpan(0, GenericNack.Write(rtcp, _ssrc, media, nack)));
                }

                if (pli)
                {
                    _peer.SendRtcp(rtcp.AsSpan(0, PictureLossIndication.Write(rtcp, _ssrc, media)));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static byte? PayloadType(SdpSession answer, string kind) =>
        answer.Media.FirstOrDefault(m => m.Kind == kind && m.Port != 0)?.RtpMaps.FirstOrDefault()?.PayloadType is { } pt ? (byte)pt : null;

    /// <summary>Leaves (WHEP DELETE) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _ticker;
        await _peer.DisposeAsync();
        _video.Writer.TryComplete();
        _audio.Writer.TryComplete();
        _stop.Dispose();
    }
}
