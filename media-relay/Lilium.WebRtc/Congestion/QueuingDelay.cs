namespace Lilium.WebRtc.Congestion;

/// <summary>
/// How much queue the path holds now, from transport-wide feedback: each received packet's one-way delay (its arrival on
/// the peer's clock less its send time on ours: an unknown offset plus the path's delay) above the lowest seen over the
/// last <see cref="WindowMicros"/> to <see cref="WindowMicros"/> × 2 (two buckets of minima, so the base follows a route
/// change within the window and no clock drift accumulates). Per feedback it keeps the <b>smallest</b> excess of its
/// packets, <see cref="LastMicros"/>: a queue delays every packet of the interval the feedback covers (it drains no
/// faster than the link), while jitter — a Wi-Fi retransmission, a receiver thread scheduled late — delays some
/// (LEDBAT filters its delay samples with a minimum for the same reason, RFC 6817 §3.4.2). The trendline reacts to how
/// fast the delay grows, after enough groups to fit a slope; this reads the queue directly, at the first feedback that
/// shows it — what a sender adding load on purpose (an up-switch trial's padding) needs to stop before the bottleneck's
/// buffer overflows. A jump of more than
/// <see cref="ResetMicros"/> (the peer's 24-bit reference time wrapped, a clock reset) restarts the base.
/// Not thread safe.
/// </summary>
internal sealed class QueuingDelay
{
    /// <summary>How long one bucket of minima covers (µs); the base is the lower of the current and previous bucket.</summary>
    public const long WindowMicros = 5_000_000;

    /// <summary>A change of one-way delay this large is a clock jump, not a queue: the base restarts.</summary>
    public const long ResetMicros = 5_000_000;

    private long _bucketStartMicros = long.MinValue;
    private long _currentMin = long.MaxValue;
    private long _previousMin = long.MaxValue;
    private long _feedbackMin = long.MaxValue;

    /// <summary>The smallest queuing delay among the last feedback's received packets (µs), or 0 before any.</summary>
    public long LastMicros { get; private set; }

    /// <summary>Starts a feedback's packets.</summary>
    public void BeginFeedback() => _feedbackMin = long.MaxValue;

    /// <summary>One received packet of the feedback in progress.</summary>
    public void Add(long sendMicros, long arrivalMicros, long nowMicros)
    {
        var delay = arrivalMicros - sendMicros;
        if (_bucketStartMicros == long.MinValue || nowMicros - _bucketStartMicros >= WindowMicros)
        {
            _previousMin = _bucketStartMicros != long.MinValue && nowMicros - _bucketStartMicros < 2 * WindowMicros ? _currentMin : long.MaxValue;
            _currentMin = long.MaxValue;
            _bucketStartMicros = nowMicros;
        }

        var baseline = Math.Min(_currentMin, _previousMin);
        if (baseline != long.MaxValue && Math.Abs(delay - baseline) > ResetMicros)
        {
            _previousMin = long.MaxValue; // the peer's clock jumped: start over from this packet
            _currentMin = long.MaxValue;
            baseline = long.MaxValue;
        }

        _currentMin = Math.Min(_currentMin, delay);
        var queued = delay - Math.Min(baseline, delay);
        _feedbackMin = Math.Min(_feedbackMin, queued);
    }

    /// <summary>Ends the feedback: <see cref="LastMicros"/> becomes its smallest queuing delay (unchanged when it had no received packet).</summary>
    public void EndFeedback()
    {
        if (_feedbackMin != long.MaxValue)
        {
            LastMicros = _feedbackMin;
        }
    }
}
