using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Media;

/// <summary>
/// One incoming stream of a publisher (an accepted WHIP m-section): its SSRC (announced or fixed by
/// the first packet, RFC 9143 §9.2), a NACK cache, receive statistics for RR/metrics, and the
/// keyframe-request throttle.
/// </summary>
internal sealed class PublisherStream(SdpNegotiatedMedia media, int index)
{
    private long _lastKeyframeRequest = long.MinValue / 2;
    private int _baseSequence = -1;
    private uint _cycles;
    private ushort _maxSequence;

    public SdpNegotiatedMedia Media { get; } = media;

    public int Index { get; } = index;

    public string Kind => Media.Kind;

    public bool IsVideo => Kind == "video";

    public uint Ssrc { get; set; }

    public PacketCache Cache { get; } = new();

    /// <summary>The id of the publisher's abs-capture-time extension, or 0 (not negotiated).</summary>
    public int AbsCaptureTimeExtensionId { get; } = media.AbsCaptureTimeExtensionId ?? 0;

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

    /// <summary>True (and counts it) while a keyframe is wanted and fewer than <paramref name="maxRepeats"/> repeats went out.</summary>
    public bool TryTakeKeyframeRepeat(int maxRepeats)
    {
        if (Volatile.Read(ref _keyframeWantedMs) == 0)
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
