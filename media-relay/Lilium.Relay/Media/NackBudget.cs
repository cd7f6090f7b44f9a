namespace Lilium.Relay.Media;

/// <summary>
/// Bounds what one subscriber's NACKs make the relay resend on one track: a token bucket
/// (<see cref="PacketsPerSecond"/>, burst <see cref="Burst"/>) and de-duplication (a sequence number resent
/// within <see cref="RepeatWindowMs"/> is not resent again). A NACK costs a subscriber a few bytes and
/// a resend up to an MTU, so without it NACK answering is an amplifier. One media loop uses it; not thread-safe.
/// </summary>
internal sealed class NackBudget
{
    /// <summary>Sustained resends per second (a 4 Mbit/s video track is about 400 packets/s: 25 %).</summary>
    public const int PacketsPerSecond = 100;

    /// <summary>A lost keyframe burst may be resent at once.</summary>
    public const int Burst = 100;

    /// <summary>About one RTT on the paths we serve: a repeat NACK inside it is answered by the resend in flight.</summary>
    public const long RepeatWindowMs = 50;

    private const int RecentSlots = 1024;

    private readonly long[] _resentAtMs = new long[RecentSlots];
    private readonly int[] _resentSeq = new int[RecentSlots];
    private double _tokens = Burst;
    private long _refilledAtMs = long.MinValue;

    public NackBudget() => Array.Fill(_resentSeq, -1);

    /// <summary>True if <paramref name="sequence"/> may be resent now (and records it); false if over budget or a repeat.</summary>
    public bool TryResend(ushort sequence, long nowMs)
    {
        var slot = sequence % RecentSlots;
        if (_resentSeq[slot] == sequence && nowMs - _resentAtMs[slot] < RepeatWindowMs)
        {
            return false;
        }

        if (_refilledAtMs != long.MinValue)
        {
            _tokens = Math.Min(Burst, _tokens + ((nowMs - _refilledAtMs) * PacketsPerSecond / 1000.0));
        }

        _refilledAtMs = nowMs;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        _resentSeq[slot] = sequence;
        _resentAtMs[slot] = nowMs;
        return true;
    }
}
