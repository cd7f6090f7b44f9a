using System.Net;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;

namespace Lilium.Relay.Media;

/// <summary>The SFU half of the media loop: SRTP in, per-subscriber rewriting, NACK/PLI/FIR, reports.</summary>
internal sealed partial class MediaServer
{
    private const int MaxNacksPerPacket = 256;

    /// <summary>Room for the SRTCP trailer of any profile: E‖index (4) + a GCM tag (16).</summary>
    private const int MaxSrtcpTrailer = 20;

    private void HandleSrtp(byte[] buffer, int length, IPEndPoint remote)
    {
        var peer = _registry.FindByEndpoint(remote);
        if (peer is null || peer.State != PeerState.Secured || peer.Inbound is not { } inbound)
        {
            _metrics.Dropped();
            return;
        }

        var span = buffer.AsSpan(0, length);
        if (RtpHeader.IsRtcp(span))
        {
            if (!inbound.TryUnprotectRtcp(span, length, out var plain))
            {
                _metrics.Dropped();
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
            _metrics.Dropped(); // subscribers are sendonly from our side; their RTP is not forwarded
            return;
        }

        if (!inbound.TryUnprotectRtp(span, length, out var plainLength) || !RtpHeader.TryParse(span[..plainLength], out var header))
        {
            _metrics.Dropped();
            return;
        }

        OnPublisherRtp(peer, span[..plainLength], header);
    }

    private void OnPublisherRtp(MediaPeer publisher, ReadOnlySpan<byte> packet, in RtpHeader header)
    {
        var stream = publisher.StreamFor(header.Ssrc, header.PayloadType);
        if (stream is null)
        {
            _metrics.Dropped();
            return;
        }

        var seq = header.SequenceNumber;
        stream.OnPacket(seq);
        stream.Cache.Store(seq, packet);
        var keyframe = stream.IsVideo && Keyframes.StartsKeyframe(stream.Media.Codec.EncodingName, packet.Slice(header.HeaderLength, header.PayloadLength));
        foreach (var subscriber in publisher.Session.Subscribers)
        {
            if (subscriber.State != PeerState.Secured)
            {
                continue;
            }

            var track = subscriber.TrackFor(stream.Kind);
            if (track is null)
            {
                continue;
            }

            if (!ReferenceEquals(track.Source, stream) || track.WaitingForKeyframe)
            {
                if (stream.IsVideo && !keyframe)
                {
                    RequestKeyframe(publisher, stream, force: false);
                    continue;
                }

                track.Bind(stream, seq, header.Timestamp);
                track.KeyframeSeen();
            }

            SendToSubscriber(subscriber, track, packet, header, retransmission: false);
        }
    }

    private const uint TestLossGracePackets = 100;

    private void SendToSubscriber(MediaPeer subscriber, SubscriberTrack track, ReadOnlySpan<byte> packet, in RtpHeader header, bool retransmission)
    {
        // Test-only induced loss (RELAY_TEST_SEND_LOSS_PERCENT) starts once the track has delivered its first
        // 100 packets: it models loss on an established stream. Losing the very first packet a viewer is sent
        // is not recoverable by NACK (the viewer cannot know that sequence number existed); see docs/relay.md.
        if (subscriber.SendLossPercent > 0 && track.PacketsSent >= TestLossGracePackets && _loss.NextDouble() * 100 < subscriber.SendLossPercent)
        {
            _metrics.TestDropped();
            return;
        }

        var endpoint = subscriber.Endpoint;
        if (endpoint is null)
        {
            return;
        }

        var seq = track.MapSequence(header.SequenceNumber);
        var ts = track.MapTimestamp(header.Timestamp);
        var output = _fanOut.Reserve(); // queued; the media loop flushes after each datagram it dispatches
        var length = RtpRewriter.Rewrite(packet, header, output, track.PayloadType, seq, ts, track.Ssrc, track.MidExtensionId, track.Mid);
        lock (subscriber.SendLock)
        {
            if (subscriber.Outbound is not { } outbound || subscriber.IsClosed || !outbound.TryProtectRtp(output, length, out length))
            {
                return;
            }
        }

        track.Sent(seq, ts, header.PayloadLength, retransmission);
        _fanOut.Commit(length, endpoint);
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
                    subscriber.ReportedLost(rr.Reports[0].CumulativeLost, _metrics);
                }

                continue;
            }

            if (!RtcpFeedback.TryRead(packet, out var feedback, out _))
            {
                continue;
            }

            if (feedback.IsNack && GenericNack.TryParse(packet, out _, out var lost))
            {
                var track = TrackBySsrc(subscriber, feedback.MediaSsrc);
                if (track?.Source is not { } source)
                {
                    continue;
                }

                _metrics.Nack(lost.Count);
                foreach (var seq in lost.Take(MaxNacksPerPacket))
                {
                    var cached = source.Cache.Get(track.UnmapSequence(seq));
                    if (!cached.IsEmpty && RtpHeader.TryParse(cached, out var cachedHeader))
                    {
                        _metrics.Retransmitted();
                        SendToSubscriber(subscriber, track, cached, cachedHeader, retransmission: true);
                    }
                }
            }
            else if (feedback.IsPli || feedback.IsFir)
            {
                _metrics.KeyframeRequested();
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
                if (track.Source is not { } source || source.Ssrc != sr.Ssrc || subscriber.Endpoint is not { } endpoint)
                {
                    continue;
                }

                var length = new SenderReport(track.Ssrc, sr.NtpTimestamp, track.MapTimestamp(sr.RtpTimestamp), track.PacketsSent, track.OctetsSent, []).WriteTo(buffer);
                if (TryProtectRtcp(subscriber, buffer, ref length))
                {
                    SendRaw(buffer[..length], endpoint);
                }
            }
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

    // PLI (RFC 4585 §6.3.1), throttled per stream; "force" (a subscriber joined) only shortens the wait.
    private void RequestKeyframe(MediaPeer publisher, PublisherStream stream, bool force)
    {
        var interval = (long)_options.PliInterval.TotalMilliseconds;
        if (stream.Ssrc == 0 || publisher.Endpoint is not { } endpoint
            || !stream.TryTakeKeyframeSlot(Environment.TickCount64, force ? Math.Min(interval, 100) : interval))
        {
            return;
        }

        Span<byte> pli = stackalloc byte[12 + MaxSrtcpTrailer];
        var length = PictureLossIndication.Write(pli, publisher.RelaySsrc, stream.Ssrc);
        if (TryProtectRtcp(publisher, pli, ref length))
        {
            _metrics.PliSent();
            SendRaw(pli[..length], endpoint);
        }
    }

    private void SendReceiverReports(MediaPeer publisher)
    {
        Span<byte> rr = stackalloc byte[32 + MaxSrtcpTrailer];
        foreach (var stream in publisher.Streams)
        {
            if (stream.Ssrc == 0 || stream.Received == 0 || publisher.Endpoint is not { } endpoint)
            {
                continue;
            }

            var lost = stream.Lost;
            var fraction = (byte)Math.Clamp(lost * 256 / Math.Max(1, stream.Received + lost), 0, 255);
            var block = new ReportBlock(stream.Ssrc, fraction, (int)Math.Min(lost, 0x7FFFFF), stream.ExtendedMax, 0, 0, 0);
            var length = new ReceiverReport(publisher.RelaySsrc, [block]).WriteTo(rr);
            if (TryProtectRtcp(publisher, rr, ref length))
            {
                SendRaw(rr[..length], endpoint);
            }
        }
    }

    private static bool TryProtectRtcp(MediaPeer peer, Span<byte> buffer, ref int length)
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
