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

    public long Received { get; private set; }

    /// <summary>Extended highest sequence number received (RFC 3550 §6.4.1).</summary>
    public uint ExtendedMax => _cycles | _maxSequence;

    /// <summary>Packets expected minus received, from sequence gaps (RFC 3550 appendix A.3).</summary>
    public long Lost => _baseSequence < 0 ? 0 : Math.Max(0, (long)ExtendedMax - _baseSequence + 1 - Received);

    public void OnPacket(ushort sequence)
    {
        Received++;
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
