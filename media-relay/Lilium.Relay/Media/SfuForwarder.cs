using Lilium.Relay.Observability;
using Lilium.Relay.Sessions;
using Lilium.WebRtc;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Media;

/// <summary>
/// The SFU: SRTP/SRTCP from secured peers in, publisher RTP out to every subscriber's track (bound on a keyframe,
/// rewritten to the track's SSRC, sequence numbers and timestamps, protected with the subscriber's SRTP session),
/// subscriber RTCP answered (NACK from the publisher stream's cache, PLI/FIR passed on as throttled keyframe requests,
/// receiver reports into the loss-based estimate), publisher RTCP translated (sender reports per subscriber), and once a
/// second the relay's own receiver reports and REMB to each publisher. Fast start: a joining viewer's video track is
/// started from the stream's cached keyframe run (<see cref="KeyframeRun"/>) at once; without one, the keyframe request
/// is repeated until a keyframe comes. It owns the session and track routing state; it knows nothing of sockets:
/// protected packets go to a peer's path through <see cref="IPacketSender"/>, and work from other threads runs on the
/// media loop through <see cref="IMediaLoop"/>. Media loop only, except <see cref="OnSubscriberSecured"/>,
/// <see cref="OnTick"/> and <see cref="RepeatKeyframeRequests"/>, which send one-off RTCP or enter the loop.
/// </summary>
internal sealed class SfuForwarder(IPacketSender sender, IMediaLoop loop, RelayMetrics metrics, IOptions<RelayOptions> options, TransportCc transportCc)
{
    private readonly TimeSpan _pliInterval = options.Value.PliInterval;
    private readonly bool _fastStart = options.Value.FastStart;
    private readonly long _runMaxAgeMs = (long)options.Value.KeyframeRunMaxAge.TotalMilliseconds;
    private readonly int _keyframeRepeats = options.Value.KeyframeRepeats;
    private readonly bool _nackPublishers = options.Value.NackPublishers;
    private readonly long _keyframeRepeatGapMs = (long)(options.Value.KeyframeRepeatInterval.TotalMilliseconds * 0.8);
    private readonly byte[] _playoutDelay = PlayoutDelayElement(options.Value);
    private readonly SimulcastLayers _simulcasts = new();

    private static byte[] PlayoutDelayElement(RelayOptions options)
    {
        if (!options.PlayoutDelayEnabled)
        {
            return [];
        }

        var value = new byte[PlayoutDelay.Size];
        PlayoutDelay.Write(value, options.PlayoutDelayMinMs, options.PlayoutDelayMaxMs);
        return value;
    }
    private const int MaxNacksPerPacket = 256;

    /// <summary>Room for the SRTCP trailer of any profile: E‖index (4) + a GCM tag (16).</summary>
    private const int MaxSrtcpTrailer = 20;

    /// <summary>
    /// An SRTP or SRTCP packet (<paramref name="kind"/>, as the dispatcher classified it) from the peer's selected path
    /// (its bound 5-tuple, or its ICE-TCP connection); decrypted in place.
    /// </summary>
    public void OnSrtp(MediaPeer peer, Span<byte> span, PacketKind kind)
    {
        if (peer.State != PeerState.Secured || peer.Inbound is not { } inbound)
        {
            metrics.Dropped();
            return;
        }

        var length = span.Length;
        if (kind == PacketKind.Rtcp)
        {
            if (!inbound.TryUnprotectRtcp(span, length, out var plain))
            {
                metrics.Dropped();
                return;
            }

            if (peer.Role == PeerRole.Publisher)
            {
                OnPublisherRtcp(peer, span[..plain]);
            }
            else
            {
                OnSubscriberRtcp(peer, span[..plain]);
            }

            return;
        }

        if (peer.Role != PeerRole.Publisher)
        {
            metrics.Dropped(); // subscribers are sendonly from our side; their RTP is not forwarded
            return;
        }

        if (!inbound.TryUnprotectRtp(span, length, out var plainLength) || !RtpHeader.TryParse(span[..plainLength], out var header))
        {
            metrics.Dropped();
            return;
        }

        OnPublisherRtp(peer, span[..plainLength], header);
    }

    private void OnPublisherRtp(MediaPeer publisher, Span<byte> packet, in RtpHeader header)
    {
        var stream = publisher.StreamFor(header.Ssrc, header.PayloadType, packet, header);
        var repairs = stream is null ? publisher.RtxStreamFor(header.Ssrc, header.PayloadType, packet, header) : null;

        // Every packet that crossed the path counts for the publisher's estimator — media, RTX, and those the relay cannot
        // place (a simulcast layer's RTX probes, not matched to a layer yet) — or the feedback would report it lost.
        if ((stream ?? repairs ?? FirstVideoStream(publisher)) is { } counted)
        {
            transportCc.OnPublisherPacket(publisher, counted, packet, header);
        }

        if (stream is not null)
        {
            ForwardPublisherPacket(publisher, stream, packet, header);
        }
        else if (repairs is not null)
        {
            OnPublisherRtx(publisher, repairs, packet, header);
        }
        else
        {
            metrics.Dropped();
        }
    }

    private static PublisherStream? FirstVideoStream(MediaPeer publisher)
    {
        foreach (var stream in publisher.Streams)
        {
            if (stream.IsVideo)
            {
                return stream;
            }
        }

        return null;
    }

    /// <summary>
    /// A publisher's RTX packet (RFC 4588), already counted for transport-cc (Chromium probes with RTX): repaired in
    /// place; only a repair that fills a gap in the stream goes on, as the original would have. Padding-only packets and
    /// duplicates (Chromium's probes resend recent packets) end here.
    /// </summary>
    private void OnPublisherRtx(MediaPeer publisher, PublisherStream stream, Span<byte> packet, in RtpHeader header)
    {
        if (stream.Ssrc != 0 && Rtx.TryGetOriginalSequence(packet, out var osn) && stream.IsMissing(osn)
            && Rtx.TryUnwrap(packet, packet, stream.Ssrc, (byte)stream.Media.Codec.PayloadType, out var length)
            && RtpHeader.TryParse(packet[..length], out var original))
        {
            metrics.RtxReceived(repaired: true);
            ForwardPublisherPacket(publisher, stream, packet[..length], original);
            return;
        }

        metrics.RtxReceived(repaired: false);
    }

    /// <summary>A publisher's media packet (or a repaired retransmission): into the cache, then to every subscriber's track.</summary>
    private void ForwardPublisherPacket(MediaPeer publisher, PublisherStream stream, ReadOnlySpan<byte> packet, in RtpHeader header)
    {
        var seq = header.SequenceNumber;
        stream.OnPacket(seq, packet.Length);
        stream.Cache.Store(seq, packet);
        var nowMs = Environment.TickCount64;
        if (_nackPublishers && stream.NackRequests is { } requests)
        {
            requests.OnPacket(seq, nowMs);
            if (requests.Count > 0)
            {
                RequestRetransmissions(publisher, stream, requests.Due(nowMs));
            }
        }

        var keyframe = stream.IsVideo && Keyframes.StartsKeyframe(stream.Media.Codec.EncodingName, packet.Slice(header.HeaderLength, header.PayloadLength));
        if (stream.IsVideo)
        {
            stream.KeyframeRun.OnPacket(seq, header.Timestamp, keyframe, nowMs);
            if (keyframe)
            {
                stream.KeyframeArrived();
                if (FrameSize.TryParse(stream.Media.Codec.EncodingName, packet.Slice(header.HeaderLength, header.PayloadLength), out var width, out var height))
                {
                    (stream.Width, stream.Height) = (width, height);
                }
            }
        }

        foreach (var subscriber in publisher.Session.Subscribers)
        {
            if (subscriber.State != PeerState.Secured)
            {
                continue;
            }

            var track = subscriber.TrackFor(stream.Kind);
            if (track is null || (stream.IsVideo && subscriber.VideoHint.Paused)
                || (stream.Simulcast is { } simulcast && !_simulcasts.Wants(subscriber, track, stream, simulcast, nowMs)))
            {
                continue;
            }

            if (!ReferenceEquals(track.Source, stream) || track.WaitingForKeyframe)
            {
                if (stream.IsVideo && !keyframe)
                {
                    // A simulcast switch waits for the new layer's keyframe (no replay burst); a first start may replay.
                    if ((stream.Simulcast is not null && track.PacketsSent > 0) || !TryFastStart(subscriber, track, stream, nowMs))
                    {
                        RequestKeyframe(publisher, stream, force: false);
                    }

                    continue;
                }

                var firstBind = track.PacketsSent == 0;
                SimulcastLayers.CountSwitch(track, stream, metrics);
                track.Bind(stream, seq, header.Timestamp);
                track.KeyframeSeen();
                if (firstBind && stream.IsVideo)
                {
                    SendSequenceAnchor(subscriber, track, seq, header.Timestamp);
                }
            }

            SendToSubscriber(subscriber, track, packet, header, retransmission: false);
        }
    }

    private const int AnchorPadding = 4;

    /// <summary>
    /// Starts a viewer's video track from the stream's cached keyframe run, if it has one: binds the track at the run's
    /// keyframe, sends the sequence anchor on a first bind, then every cached packet of the run, rewritten into the
    /// track's continuous numbering. False when there is no run (or fast start is off): the caller requests a keyframe.
    /// </summary>
    private bool TryFastStart(MediaPeer subscriber, SubscriberTrack track, PublisherStream stream, long nowMs)
    {
        if (!_fastStart || !stream.KeyframeRun.TryGet(nowMs, _runMaxAgeMs, out var first, out var count))
        {
            return false;
        }

        var start = stream.Cache.Get(first);
        if (start.IsEmpty || !RtpHeader.TryParse(start, out var startHeader))
        {
            return false;
        }

        var firstBind = track.PacketsSent == 0;
        track.Bind(stream, first, startHeader.Timestamp);
        track.KeyframeSeen();
        if (firstBind)
        {
            SendSequenceAnchor(subscriber, track, first, startHeader.Timestamp);
        }

        for (var i = 0; i < count; i++)
        {
            var cached = stream.Cache.Get((ushort)(first + i));
            if (!cached.IsEmpty && RtpHeader.TryParse(cached, out var cachedHeader))
            {
                SendToSubscriber(subscriber, track, cached, cachedHeader, retransmission: false); // a gap is NACKed like any loss
            }
        }

        metrics.FastStarted();
        return true;
    }

    // A receiver learns a track's sequence numbers from the first packet it gets, so it cannot NACK a lost first
    // packet — the start of the keyframe it binds on — and without a decodable keyframe it shows nothing (Chrome
    // sends PLI then; aiortc does not). So before a video track's first packet the relay sends one padding-only
    // packet (RFC 3550 §5.1) numbered just before it, with the keyframe's timestamp: if the keyframe's first packet
    // is lost, the receiver sees the gap, NACKs it, and the cache answers. Only on the first bind: later the track
    // is already numbered at the receiver, so a gap after a source switch is visible anyway.
    private void SendSequenceAnchor(MediaPeer subscriber, SubscriberTrack track, ushort firstSourceSeq, uint sourceTs)
    {
        if (subscriber.Path is not { } path)
        {
            return;
        }

        Span<byte> empty = stackalloc byte[RtpHeader.FixedSize];
        RtpHeader.WriteFixed(empty, marker: false, track.PayloadType, 0, 0, 0);
        if (!RtpHeader.TryParse(empty, out var emptyHeader))
        {
            return;
        }

        var output = sender.Reserve();
        var length = RtpRewriter.Rewrite(empty, emptyHeader, output, track.PayloadType, (ushort)(track.MapSequence(firstSourceSeq) - 1),
            track.MapTimestamp(sourceTs), track.Ssrc, track.MidExtensionId, track.Mid, TransportCc.ExtensionIdFor(subscriber, track), out var transportSequenceAt);
        output[0] |= 0x20; // P: the payload is padding only; its last octet counts the padding octets
        output.Slice(length, AnchorPadding - 1).Clear();
        output[length + AnchorPadding - 1] = AnchorPadding;
        length += AnchorPadding;
        transportCc.Stamp(subscriber, output, length, transportSequenceAt);
        TryQueueProtected(subscriber, output, length, path);
    }

    /// <summary>Protects the RTP packet written into the reserved buffer with the subscriber's SRTP session and queues it.</summary>
    private bool TryQueueProtected(MediaPeer subscriber, Span<byte> output, int length, PeerPath path)
    {
        lock (subscriber.SendLock)
        {
            if (subscriber.Outbound is not { } outbound || subscriber.IsClosed || !outbound.TryProtectRtp(output, length, out length))
            {
                return false;
            }
        }

        sender.Commit(subscriber, path, length); // a full queue drops the packet as a full socket buffer would; it counts as sent
        return true;
    }

    private void SendToSubscriber(MediaPeer subscriber, SubscriberTrack track, ReadOnlySpan<byte> packet, in RtpHeader header, bool retransmission) =>
        SendToSubscriber(subscriber, track, packet, header, retransmission, track.MapSequence(header.SequenceNumber), track.MapTimestamp(header.Timestamp));

    /// <summary>Rewrites a source packet to the track's <paramref name="seq"/> and <paramref name="ts"/> and queues it.</summary>
    private void SendToSubscriber(MediaPeer subscriber, SubscriberTrack track, ReadOnlySpan<byte> packet, in RtpHeader header, bool retransmission, ushort seq, uint ts)
    {
        var path = subscriber.Path;
        if (path is null)
        {
            return;
        }

        // Passed through as the publisher wrote them: abs-capture-time (8 or 16 bytes) and the dependency descriptor (SVC:
        // which frames each one needs; every layer is forwarded, so it goes on unchanged). Read straight from the source
        // packet, which the rewrite only reads: nothing is copied per subscriber.
        var captureTime = track.AbsCaptureTimeExtensionId != 0 && track.Source is { AbsCaptureTimeExtensionId: var sourceId and > 0 }
            && RtpExtensions.TryGet(packet, header, (byte)sourceId, out var published) && published.Length <= 16 ? published : default;
        var descriptor = track.DependencyDescriptorExtensionId != 0 && track.Source is { DependencyDescriptorExtensionId: var ddId and > 0 }
            && RtpExtensions.TryGet(packet, header, (byte)ddId, out var descriptorValue) && descriptorValue.Length <= 255 ? descriptorValue : default;

        var output = sender.Reserve(); // queued; the media loop flushes after each datagram it dispatches
        var length = RtpRewriter.Rewrite(packet, header, output, track.PayloadType, seq, ts, track.Ssrc, track.MidExtensionId, track.Mid,
            track.PlayoutDelayExtensionId, _playoutDelay, track.AbsCaptureTimeExtensionId, captureTime,
            TransportCc.ExtensionIdFor(subscriber, track), out var transportSequenceAt, track.DependencyDescriptorExtensionId, descriptor);
        if (retransmission && !TryWrapRetransmission(track, output, ref length))
        {
            return;
        }

        transportCc.Stamp(subscriber, output, length, transportSequenceAt);
        if (TryQueueProtected(subscriber, output, length, path))
        {
            track.Sent(seq, ts, header.PayloadLength, retransmission);
        }
    }

    /// <summary>
    /// A resend to a viewer that negotiated RTX goes on the track's RTX stream (RFC 4588 §4: its SSRC, payload type and
    /// sequence number, the track's sequence number first in the payload), wrapped in place in the packet just written
    /// for the track (the header, and so the transport-wide element's offset, stay as they are); others get it as it was.
    /// </summary>
    private bool TryWrapRetransmission(SubscriberTrack track, Span<byte> output, ref int length)
    {
        if (track.Rtx is not { } rtx)
        {
            return true;
        }

        if (!rtx.TryWrapInPlace(output, length, out length))
        {
            return false;
        }

        metrics.RtxSentOne();
        return true;
    }

    private void OnSubscriberRtcp(MediaPeer subscriber, ReadOnlySpan<byte> compound)
    {
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryNext(out var header, out var packet))
        {
            if (header.Type == RtcpPacketType.ReceiverReport)
            {
                if (ReceiverReport.TryParse(packet, out var rr) && rr!.Reports.Count > 0)
                {
                    subscriber.ReportedLost(rr.Reports[0].CumulativeLost, metrics);
                    foreach (var block in rr.Reports)
                    {
                        if (TrackBySsrc(subscriber, block.Ssrc) is { Kind: "video", Source: { } source })
                        {
                            subscriber.Bandwidth.OnReport(block.FractionLost, source.IncomingBps);
                        }
                    }
                }

                continue;
            }

            if (!RtcpFeedback.TryRead(packet, out var feedback, out _))
            {
                continue;
            }

            if (feedback.IsTransportCc)
            {
                transportCc.OnSubscriberFeedback(subscriber, packet);
            }
            else if (feedback.IsNack && GenericNack.TryParse(packet, out _, out var lost))
            {
                var track = TrackBySsrc(subscriber, feedback.MediaSsrc);
                if (track?.Source is null)
                {
                    continue;
                }

                metrics.Nack(lost.Count);
                var nowMs = Environment.TickCount64;
                foreach (var seq in lost.Take(MaxNacksPerPacket))
                {
                    if (!track.Nacks.TryResend(seq, nowMs))
                    {
                        continue; // over this subscriber's resend budget, or resent within the last RTT
                    }

                    // The source that sent this number (a simulcast switch may have come since) and its mapping then.
                    if (!track.TryResolve(seq, out var source, out var sourceSeq, out var tsOffset))
                    {
                        continue;
                    }

                    var cached = source.Cache.Get(sourceSeq);
                    if (!cached.IsEmpty && RtpHeader.TryParse(cached, out var cachedHeader))
                    {
                        metrics.Retransmitted();
                        SendToSubscriber(subscriber, track, cached, cachedHeader, retransmission: true, seq, cachedHeader.Timestamp + tsOffset);
                    }
                }
            }
            else if (feedback.IsPli || feedback.IsFir)
            {
                metrics.KeyframeRequested();
                var ssrc = feedback.MediaSsrc;
                if (feedback.IsFir && FullIntraRequest.TryParse(packet, out var fir) && fir!.Entries.Count > 0)
                {
                    ssrc = fir.Entries[0].Ssrc; // RFC 5104 §4.3.1: the media SSRC field is unused in FIR
                }

                if (TrackBySsrc(subscriber, ssrc)?.Source is { } wanted && subscriber.Session.Publisher is { } publisher)
                {
                    RequestKeyframe(publisher, wanted, force: false);
                }
            }
        }
    }

    private static SubscriberTrack? TrackBySsrc(MediaPeer subscriber, uint ssrc)
    {
        foreach (var track in subscriber.Tracks)
        {
            if (track.Ssrc == ssrc)
            {
                return track;
            }
        }

        return null;
    }

    private void OnPublisherRtcp(MediaPeer publisher, ReadOnlySpan<byte> compound)
    {
        // SRs are translated per subscriber; a BYE ends a stream, not the peer (consent and DTLS decide).
        var reader = new RtcpCompoundReader(compound);
        while (reader.TryNext(out var header, out var packet))
        {
            if (header.Type == RtcpPacketType.SenderReport && SenderReport.TryParse(packet, out var sr))
            {
                ForwardSenderReport(publisher, sr!);
            }
        }
    }

    // Translate the publisher's SR into each subscriber's SSRC/timestamp space (RFC 3550 §7.2 translator).
    private void ForwardSenderReport(MediaPeer publisher, SenderReport sr)
    {
        Span<byte> buffer = stackalloc byte[28 + MaxSrtcpTrailer];
        foreach (var subscriber in publisher.Session.Subscribers)
        {
            foreach (var track in subscriber.Tracks)
            {
                if (track.Source is not { } source || source.Ssrc != sr.Ssrc || subscriber.Path is not { } path)
                {
                    continue;
                }

                var length = new SenderReport(track.Ssrc, sr.NtpTimestamp, track.MapTimestamp(sr.RtpTimestamp), track.PacketsSent, track.OctetsSent, []).WriteTo(buffer);
                if (TryProtectRtcp(subscriber, buffer, ref length))
                {
                    sender.Send(path, buffer[..length]);
                }
            }
        }
    }

    /// <summary>
    /// A subscriber's DTLS completed (a pool thread): on the media loop, its video track starts from the cached keyframe
    /// run at once — no waiting for a publisher packet, so a static screen that sends nothing starts too — or, without a
    /// run, the publisher is asked for a keyframe and the request repeated (<see cref="RepeatKeyframeRequests"/>).
    /// </summary>
    public void OnSubscriberSecured(MediaPeer subscriber)
    {
        if (subscriber.Session.Publisher is not { State: PeerState.Secured } publisher)
        {
            return;
        }

        if (!loop.Invoke(() => StartVideo(subscriber, publisher)))
        {
            RequestKeyframes(subscriber.Session, force: true);
        }
    }

    private void StartVideo(MediaPeer subscriber, MediaPeer publisher)
    {
        var nowMs = Environment.TickCount64;
        foreach (var stream in publisher.Streams)
        {
            if (!stream.IsVideo || subscriber.State != PeerState.Secured || subscriber.VideoHint.Paused || subscriber.TrackFor(stream.Kind) is not { } track
                || (ReferenceEquals(track.Source, stream) && !track.WaitingForKeyframe)
                || (stream.Simulcast is { } simulcast && !_simulcasts.Wants(subscriber, track, stream, simulcast, nowMs)))
            {
                continue; // a packet that arrived meanwhile already started it
            }

            if (!TryFastStart(subscriber, track, stream, nowMs))
            {
                stream.WantKeyframe(nowMs);
                RequestKeyframe(publisher, stream, force: true);
            }
        }
    }

    /// <summary>
    /// A viewer's video hint (its <c>control</c> channel; any thread): in force from the next packet. Pausing stops its
    /// video at once (the forwarding loop skips the track) and ends an up-switch trial's padding; resuming restarts the
    /// track at a keyframe as a join does — the cached keyframe run at once, else a keyframe request, repeated — so the
    /// picture is back without waiting for the publisher's next keyframe. A new box is taken into the next layer choice,
    /// which is brought forward to the next packet.
    /// </summary>
    public void ApplyVideoHint(MediaPeer subscriber, ViewerVideoHint hint)
    {
        if (!loop.Invoke(() => ApplyVideoHintOnLoop(subscriber, hint)))
        {
            subscriber.VideoHint = hint; // no media loop yet: nothing is being sent
        }
    }

    private void ApplyVideoHintOnLoop(MediaPeer subscriber, ViewerVideoHint hint)
    {
        var previous = subscriber.VideoHint;
        subscriber.VideoHint = hint;
        if (subscriber.TrackFor("video") is not { } track)
        {
            return;
        }

        track.NextLayerSelectMs = 0;
        if (hint.Paused)
        {
            track.TrialPaddingBps = 0;
            return;
        }

        if (previous.Paused && subscriber.State == PeerState.Secured && subscriber.Session.Publisher is { State: PeerState.Secured } publisher)
        {
            track.AwaitKeyframe();
            StartVideo(subscriber, publisher);
        }
    }

    /// <summary>
    /// Every <see cref="RelayOptions.KeyframeRepeatInterval"/> per live peer (a timer thread): a publisher stream that a
    /// viewer waits on for a keyframe gets the request again, up to <see cref="RelayOptions.KeyframeRepeats"/> times —
    /// a PLI can be lost, and a static screen sends no keyframe of its own.
    /// </summary>
    public void RepeatKeyframeRequests(MediaPeer peer)
    {
        if (peer is not { State: PeerState.Secured, Role: PeerRole.Publisher })
        {
            return;
        }

        foreach (var stream in peer.Streams)
        {
            if (stream.IsVideo && stream.TryTakeKeyframeRepeat(_keyframeRepeats, Environment.TickCount64, _keyframeRepeatGapMs))
            {
                RequestKeyframe(peer, stream, force: true);
            }
        }
    }

    /// <summary>
    /// Once a second per live peer (the housekeeping thread): a secured publisher gets the relay's receiver reports and
    /// its subscribers' bitrate estimate.
    /// </summary>
    public void OnTick(MediaPeer peer)
    {
        if (peer is { State: PeerState.Secured, Role: PeerRole.Publisher })
        {
            SendReceiverReports(peer);
            SendBitrateEstimate(peer);
        }
    }

    /// <summary>Asks the publisher for keyframes on its video streams (new subscriber).</summary>
    private void RequestKeyframes(RelaySession session, bool force)
    {
        if (session.Publisher is not { State: PeerState.Secured } publisher)
        {
            return;
        }

        foreach (var stream in publisher.Streams)
        {
            if (stream.IsVideo)
            {
                RequestKeyframe(publisher, stream, force);
            }
        }
    }

    // Generic NACK (RFC 4585 §6.2.1) for what a publisher stream lost on the way in (NackRequester): the publisher resends
    // (on its RTX stream when negotiated) and the repair fills the gap in the cache and goes on to the viewers.
    private void RequestRetransmissions(MediaPeer publisher, PublisherStream stream, IReadOnlyList<ushort> lost)
    {
        if (lost.Count == 0 || stream.Ssrc == 0 || publisher.Path is not { } path)
        {
            return;
        }

        Span<byte> nack = stackalloc byte[12 + (4 * NackRequester.MaxPerRequest) + MaxSrtcpTrailer];
        var length = GenericNack.Write(nack, publisher.RelaySsrc, stream.Ssrc, lost);
        if (TryProtectRtcp(publisher, nack, ref length))
        {
            metrics.UpstreamNack(lost.Count);
            sender.Send(path, nack[..length]);
        }
    }

    // PLI (RFC 4585 §6.3.1), throttled per stream; "force" (a subscriber joined) only shortens the wait.
    private void RequestKeyframe(MediaPeer publisher, PublisherStream stream, bool force)
    {
        var interval = (long)_pliInterval.TotalMilliseconds;
        if (stream.Ssrc == 0 || publisher.Path is not { } path
            || !stream.TryTakeKeyframeSlot(Environment.TickCount64, force ? Math.Min(interval, 100) : interval))
        {
            return;
        }

        Span<byte> pli = stackalloc byte[12 + MaxSrtcpTrailer];
        var length = PictureLossIndication.Write(pli, publisher.RelaySsrc, stream.Ssrc);
        if (TryProtectRtcp(publisher, pli, ref length))
        {
            metrics.PliSent();
            sender.Send(path, pli[..length]);
        }
    }

    private void SendReceiverReports(MediaPeer publisher)
    {
        Span<byte> rr = stackalloc byte[32 + MaxSrtcpTrailer];
        var now = Environment.TickCount64;
        foreach (var stream in publisher.Streams)
        {
            stream.SampleBitrate(now);
            if (stream.Ssrc == 0 || stream.Received == 0 || publisher.Path is not { } path)
            {
                continue;
            }

            var lost = stream.Lost;
            var fraction = (byte)Math.Clamp(lost * 256 / Math.Max(1, stream.Received + lost), 0, 255);
            var block = new ReportBlock(stream.Ssrc, fraction, (int)Math.Min(lost, 0x7FFFFF), stream.ExtendedMax, 0, 0, 0);
            var length = new ReceiverReport(publisher.RelaySsrc, [block]).WriteTo(rr);
            if (TryProtectRtcp(publisher, rr, ref length))
            {
                sender.Send(path, rr[..length]);
            }
        }
    }

    /// <summary>
    /// Tells a publisher the lowest of its subscribers' path estimates (<see cref="MediaPeer.PathEstimateBps"/>) for its video stream (REMB,
    /// draft-alvestrand-rmcat-remb-03), or <see cref="LossBasedEstimate.UnconstrainedBps"/> when none is constrained,
    /// while it has a secured subscriber that has not paused its video — with simulcast the highest subscriber estimate
    /// instead, for every layer's SSRC. On the housekeeping thread, once a second, as Janus and mediasoup send theirs.
    /// </summary>
    private void SendBitrateEstimate(MediaPeer publisher)
    {
        // One stream for all: the slowest viewer sets the rate (min). Simulcast: the best-connected viewer sets it (max),
        // since the publisher gives its lower layers their share first and slower viewers take a lower layer.
        var simulcast = Array.Exists(publisher.Streams, s => s.Simulcast is not null);
        var watched = false;
        var bitrate = simulcast ? 0 : LossBasedEstimate.UnconstrainedBps;
        foreach (var subscriber in publisher.Session.Subscribers)
        {
            if (subscriber.State == PeerState.Secured && !subscriber.VideoHint.Paused) // a hidden viewer's path sets nothing
            {
                watched = true;
                var own = subscriber.PathEstimateBps;
                bitrate = simulcast ? Math.Max(bitrate, own) : Math.Min(bitrate, own);
            }
        }

        var ssrcs = publisher.Streams.Where(s => s.IsVideo && s.Ssrc != 0).Select(s => s.Ssrc).ToArray(); // simulcast: every layer's
        if (!watched || ssrcs.Length == 0 || publisher.Path is not { } path)
        {
            return;
        }

        Span<byte> remb = stackalloc byte[24 + 4 * SdpAnswerBuilder.MaxSimulcastLayers + MaxSrtcpTrailer];
        var length = new ReceiverEstimatedMaxBitrate(publisher.RelaySsrc, bitrate, ssrcs).WriteTo(remb);
        if (TryProtectRtcp(publisher, remb, ref length))
        {
            metrics.BitrateEstimateSent();
            sender.Send(path, remb[..length]);
        }
    }

    internal static bool TryProtectRtcp(MediaPeer peer, Span<byte> buffer, ref int length)
    {
        lock (peer.SendLock)
        {
            if (peer.Outbound is not { } outbound || peer.IsClosed)
            {
                return false;
            }

            return outbound.TryProtectRtcp(buffer, length, out length);
        }
    }
}
