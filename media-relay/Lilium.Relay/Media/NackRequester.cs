namespace Lilium.Relay.Media;

/// <summary>
/// The relay's NACKs toward one publisher stream (RFC 4585 §6.2.1; libwebrtc's NackRequester and mediasoup's
/// NackGenerator do the same for their receivers): a gap in the sequence numbers puts the missing ones on a list; each
/// is asked for at once, then again every <see cref="RetryMs"/> up to <see cref="MaxTries"/> times, and leaves the list
/// when it arrives (late, or repaired from RTX), when it is older than <see cref="MaxAgeMs"/> (its frame is long past a
/// low-latency viewer's jitter buffer) or when the list overflows (a gap of more than <see cref="MaxMissing"/> packets is
/// a keyframe's job: the viewers ask for one). Without it a loss on the publisher's uplink reaches every viewer as a
/// hole the relay's cache cannot fill, and each of them ends up asking for a keyframe.
/// One media loop uses it; not thread-safe.
/// </summary>
internal sealed class NackRequester
{
    /// <summary>Missing packets tracked at most; a larger gap clears the list.</summary>
    public const int MaxMissing = 256;

    /// <summary>Requests per missing packet.</summary>
    public const int MaxTries = 10;

    /// <summary>About one round trip on the paths we serve: a repeat sooner would cross the retransmission in flight.</summary>
    public const long RetryMs = 50;

    /// <summary>A packet missing this long is given up.</summary>
    public const long MaxAgeMs = 1_000;

    /// <summary>Sequence numbers one <see cref="Due"/> returns at most (one NACK packet's worth).</summary>
    public const int MaxPerRequest = 64;

    private readonly List<Missing> _missing = [];
    private readonly List<ushort> _due = [];
    private long _highest = -1; // extended sequence number (RFC 3550 appendix A.1), -1 before the first packet

    /// <summary>Sequence numbers on the list now.</summary>
    public int Count => _missing.Count;

    /// <summary>
    /// A packet arrived (media or a repaired retransmission). Returns how many numbers its arrival found missing (0 for an
    /// in-order or late packet); a gap over <see cref="MaxMissing"/> returns the gap and tracks nothing.
    /// </summary>
    public int OnPacket(ushort sequence, long nowMs)
    {
        if (_highest < 0)
        {
            _highest = sequence;
            return 0;
        }

        var extended = _highest + (short)(sequence - (ushort)_highest);
        if (extended <= _highest)
        {
            Remove(extended);
            return 0;
        }

        var gap = (int)(extended - _highest - 1);
        if (gap > MaxMissing)
        {
            _missing.Clear();
        }
        else
        {
            for (var s = _highest + 1; s < extended; s++)
            {
                _missing.Add(new Missing(s, nowMs));
            }

            if (_missing.Count > MaxMissing)
            {
                _missing.RemoveRange(0, _missing.Count - MaxMissing); // the oldest go first
            }
        }

        _highest = extended;
        return gap;
    }

    /// <summary>
    /// The numbers to ask for now, oldest first (at most <see cref="MaxPerRequest"/>); each counts as asked. Numbers past
    /// <see cref="MaxAgeMs"/> or <see cref="MaxTries"/> are dropped. The list returned is reused by the next call.
    /// </summary>
    public IReadOnlyList<ushort> Due(long nowMs)
    {
        _due.Clear();
        if (_missing.Count == 0)
        {
            return _due;
        }

        var kept = 0;
        for (var i = 0; i < _missing.Count; i++)
        {
            var missing = _missing[i];
            if (nowMs - missing.SinceMs > MaxAgeMs || missing.Tries >= MaxTries)
            {
                continue;
            }

            if (_due.Count < MaxPerRequest && nowMs - missing.AskedMs >= RetryMs)
            {
                _due.Add((ushort)missing.Extended);
                missing = missing with { AskedMs = nowMs, Tries = missing.Tries + 1 };
            }

            _missing[kept++] = missing;
        }

        _missing.RemoveRange(kept, _missing.Count - kept);
        return _due;
    }

    private void Remove(long extended)
    {
        for (var i = 0; i < _missing.Count; i++)
        {
            if (_missing[i].Extended == extended)
            {
                _missing.RemoveAt(i);
                return;
            }

            if (_missing[i].Extended > extended)
            {
                return; // ordered: not on the list
            }
        }
    }

    private readonly record struct Missing(long Extended, long SinceMs, long AskedMs = long.MinValue / 2, int Tries = 0);
}
