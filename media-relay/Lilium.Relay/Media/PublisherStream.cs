using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Media;

/// <summary>
/// One incoming stream of a publisher (an accepted WHIP m-section): its SSRC (announced or fixed by
/// the first packet, RFC 9143 §9.2), a NACK cache, receive statistics for RR/metrics, and the
/// keyframe-request throttle.
/// </summary>
internal sealed class PublisherStream(SdpNegotiatedMedia media, int index, string? rid = null, int layer = 0)
{
    /// <summary>Simulcast: the RID this layer is sent under (its SSRC is learnt from the first packet carrying it), else null.</summary>
    public string? Rid { get; } = rid;

    /// <summary>Simulcast: this layer's place, 0 = lowest (the offer's order); 0 without simulcast.</summary>
    public int Layer { get; } = layer;

    /// <summary>Simulcast: all layers of this stream's m-section (this one included), else null.</summary>
    public SimulcastSource? Simulcast { get; set; }

    private long _lastKeyframeRequest = long.MinValue / 2;
    private int _baseSequence = -1;
    private uint _cycles;
    private ushort _maxSequence;

    public SdpNegotiatedMedia Media { get; } = media;

    public int Index { get; } = index;

    public string Kind => Media.Kind;

    public bool IsVideo => Kind == "video";

    public uint Ssrc { get; set; }

    /// <summary>Video: the picture width its last keyframe announced (<see cref="FrameSize"/>), 0 until one did. Media loop.</summary>
    public int Width { get; set; }

    /// <summary>Video: the picture height its last keyframe announced, 0 until one did. Media loop.</summary>
    public int Height { get; set; }

    /// <summary>
    /// The SSRC of the publisher's retransmissions of this stream (RFC 4588): from its <c>a=ssrc-group:FID</c>, or fixed
    /// by the first packet with the negotiated rtx payload type; 0 until known.
    /// </summary>
    public uint RtxSsrc { get; set; } = media.RemoteRtxSsrc ?? 0;

    /// <summary>
    /// True when <paramref name="sequence"/> is a packet this stream lost: older than the highest received, still inside
    /// the cache's window, and not in it. A repaired retransmission fills such a gap; anything else is a duplicate.
    /// </summary>
    public bool IsMissing(ushort sequence)
    {
        var behind = (ushort)(_maxSequence - sequence);
        return _baseSequence >= 0 && behind is > 0 and < PacketCache.Capacity && Cache.Get(sequence).IsEmpty;
    }

    public PacketCache Cache { get; } = new();

    /// <summary>The relay's NACKs to the publisher for what this stream lost on the way in; null unless nack was negotiated.</summary>
    public NackRequester? NackRequests { get; } = media.Nack ? new() : null;

    /// <summary>The id of the publisher's abs-capture-time extension, or 0 (not negotiated).</summary>
    public int AbsCaptureTimeExtensionId { get; } = media.AbsCaptureTimeExtensionId ?? 0;

    /// <summary>The id of the publisher's AV1 dependency descriptor extension, or 0 (not negotiated).</summary>
    public int DependencyDescriptorExtensionId { get; } = media.DependencyDescriptorExtensionId ?? 0;

    /// <summary>Video: the last keyframe and what followed it, in <see cref="Cache"/> (fast start).</summary>
    public KeyframeRun KeyframeRun { get; } = new();

    private long _keyframeWantedMs;
    private int _keyframeRepeats;

    /// <summary>
    /// A subscriber waits for a keyframe that no cached run could give it: from now on the forwarder repeats the
    /// request (throttled, a bounded number of times) until one arrives. Keeps the first time of the episode.
    /// </summary>
    public void WantKeyframe(long nowMs)
    {
        if (Interlocked.CompareExchange(ref _keyframeWantedMs, nowMs, 0) == 0)
        {
            Volatile.Write(ref _keyframeRepeats, 0);
        }
    }

    /// <summary>A keyframe arrived: the wait is over.</summary>
    public void KeyframeArrived() => Volatile.Write(ref _keyframeWantedMs, 0);

    /// <summary>
    /// True (and counts it) while a keyframe is wanted, fewer than <paramref name="maxRepeats"/> repeats went out and the
    /// last request is at least <paramref name="minGapMs"/> old — a repeat timer that fired late is not followed by a
    /// second request a moment later when it catches up.
    /// </summary>
    public bool TryTakeKeyframeRepeat(int maxRepeats, long nowMs, long minGapMs)
    {
        if (Volatile.Read(ref _keyframeWantedMs) == 0 || nowMs - Volatile.Read(ref _lastKeyframeRequest) < minGapMs)
        {
            return false;
        }

        if (Interlocked.Increment(ref _keyframeRepeats) > maxRepeats)
        {
            Volatile.Write(ref _keyframeWantedMs, 0); // gave up: a publisher that answers no PLI at all is not asked forever
            return false;
        }

        return true;
    }

    public long Received { get; private set; }

    /// <summary>Payload and header bytes received (all packets, for the incoming bitrate).</summary>
    public long Bytes { get; private set; }

    /// <summary>The bitrate measured over the last housekeeping interval (bits/s; see <see cref="SampleBitrate"/>).</summary>
    public ulong IncomingBps
    {
        get => (ulong)Volatile.Read(ref _incomingBps);
        private set => Volatile.Write(ref _incomingBps, (long)value);
    }

    /// <summary>True once <see cref="IncomingBps"/> has been measured over a full interval.</summary>
    public bool HasRate
    {
        get => Volatile.Read(ref _hasRate);
        private set => Volatile.Write(ref _hasRate, value);
    }

    private bool _hasRate;
    private long _incomingBps;
    private long _sampledBytes;
    private long _sampledAtMs;

    /// <summary>On the housekeeping thread: measures <see cref="IncomingBps"/> since the previous call.</summary>
    public void SampleBitrate(long nowMs)
    {
        var bytes = Bytes;
        if (_sampledAtMs > 0 && nowMs > _sampledAtMs)
        {
            IncomingBps = (ulong)((bytes - _sampledBytes) * 8_000 / (nowMs - _sampledAtMs));
            HasRate = true;
        }

        (_sampledBytes, _sampledAtMs) = (bytes, nowMs);
    }

    /// <summary>Extended highest sequence number received (RFC 3550 §6.4.1).</summary>
    public uint ExtendedMax => _cycles | _maxSequence;

    /// <summary>Packets expected minus received, from sequence gaps (RFC 3550 appendix A.3).</summary>
    public long Lost => _baseSequence < 0 ? 0 : Math.Max(0, (long)ExtendedMax - _baseSequence + 1 - Received);

    public void OnPacket(ushort sequence, int length)
    {
        Received++;
        Bytes += length;
        if (_baseSequence < 0)
        {
            _baseSequence = sequence;
            _maxSequence = sequence;
            return;
        }

        var delta = (ushort)(sequence - _maxSequence);
        if (delta is > 0 and < 0x8000)
        {
            if (sequence < _maxSequence)
            {
                _cycles += 0x10000;
            }

            _maxSequence = sequence;
        }
    }

    /// <summary>True (and records the time) if a keyframe request may go out now.</summary>
    public bool TryTakeKeyframeSlot(long nowMs, long intervalMs)
    {
        if (nowMs - _lastKeyframeRequest < intervalMs)
        {
            return false;
        }

        _lastKeyframeRequest = nowMs;
        return true;
    }
}
