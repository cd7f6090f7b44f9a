namespace Lilium.WebRtc.Congestion;

/// <summary>The delay-based detector's verdict (draft-ietf-rmcat-gcc-02 §5.4).</summary>
public enum BandwidthUsage
{
    Normal,
    Underusing,
    Overusing,
}

/// <summary>
/// Groups packets into send bursts and yields the delay variation between consecutive groups
/// (draft-ietf-rmcat-gcc-02 §5.2): packets sent within <see cref="BurstMicros"/> of a group's first one belong to it;
/// d(i) = (arrival(i) − arrival(i−1)) − (send(i) − send(i−1)) over the last packets of groups i and i−1.
/// </summary>
internal sealed class InterArrival
{
    public const long BurstMicros = 5_000;

    // A jump in arrival time this large (clock reset, long pause) restarts the grouping.
    private const long ResetMicros = 3_000_000;

    private bool _hasCurrent;
    private bool _hasPrevious;
    private long _currentFirstSend;
    private long _currentLastSend;
    private long _currentLastArrival;
    private long _previousLastSend;
    private long _previousLastArrival;

    /// <summary>
    /// Adds one received packet (in send order). True when it closed a group, with the delay variation of that group
    /// against the one before (ms) and the closed group's arrival time (µs).
    /// </summary>
    public bool TryAdd(long sendMicros, long arrivalMicros, out double variationMs, out long groupArrivalMicros)
    {
        variationMs = 0;
        groupArrivalMicros = 0;
        if (!_hasCurrent)
        {
            Start(sendMicros, arrivalMicros);
            return false;
        }

        if (sendMicros < _currentFirstSend)
        {
            return false; // reordered behind the group in progress: ignore
        }

        if (sendMicros - _currentFirstSend <= BurstMicros)
        {
            _currentLastSend = Math.Max(_currentLastSend, sendMicros);
            _currentLastArrival = Math.Max(_currentLastArrival, arrivalMicros);
            return false;
        }

        // A new group starts: the current one is complete.
        var closed = false;
        if (_hasPrevious)
        {
            var sendDelta = _currentLastSend - _previousLastSend;
            var arrivalDelta = _currentLastArrival - _previousLastArrival;
            if (Math.Abs(arrivalDelta) > ResetMicros)
            {
                _hasPrevious = false;
                Start(sendMicros, arrivalMicros);
                return false;
            }

            variationMs = (arrivalDelta - sendDelta) / 1000.0;
            groupArrivalMicros = _currentLastArrival;
            closed = true;
        }

        _previousLastSend = _currentLastSend;
        _previousLastArrival = _currentLastArrival;
        _hasPrevious = true;
        Start(sendMicros, arrivalMicros);
        return closed;
    }

    private void Start(long sendMicros, long arrivalMicros)
    {
        _hasCurrent = true;
        _currentFirstSend = _currentLastSend = sendMicros;
        _currentLastArrival = arrivalMicros;
    }
}

/// <summary>
/// The trendline filter and overuse detector of libwebrtc's delay-based estimator (its refinement of the Kalman
/// filter in draft-ietf-rmcat-gcc-02 §5.3–5.4): the accumulated delay variation is smoothed (α = 0.9), the slope of
/// the last <see cref="WindowSize"/> smoothed points against arrival time is found by least squares, and the slope
/// times min(groups, 60) times a gain of 4 is compared with an adaptive threshold γ: above γ for 10 ms and growing is
/// overuse, below −γ underuse. γ follows |trend| (up 0.0087, down 0.039 per ms), within 6–600, and ignores jumps of
/// more than 15 above it (RFC draft §5.4).
/// </summary>
internal sealed class TrendlineEstimator
{
    public const int WindowSize = 20;
    private const double Smoothing = 0.9;
    private const double ThresholdGain = 4.0;
    private const int MaxDeltas = 60;
    private const double OverusingTimeThresholdMs = 10;
    private const double KUp = 0.0087;
    private const double KDown = 0.039;
    private const double MaxAdaptOffsetMs = 15;
    private const double MinThreshold = 6;
    private const double MaxThreshold = 600;

    private readonly double[] _x = new double[WindowSize];
    private readonly double[] _y = new double[WindowSize];
    private int _count;
    private int _head;
    private long _firstArrivalMicros;
    private bool _started;
    private double _accumulated;
    private double _smoothed;
    private int _deltas;
    private double _previousTrend;
    private double _timeOverUsingMs = -1;
    private int _overuseCounter;
    private long _lastThresholdUpdateMicros = -1;

    public double Threshold { get; private set; } = 12.5;

    public double ModifiedTrend { get; private set; }

    public BandwidthUsage State { get; private set; } = BandwidthUsage.Normal;

    /// <summary>One closed group: its delay variation (ms) and arrival time (µs), and the time between the groups (ms).</summary>
    public BandwidthUsage Update(double variationMs, long arrivalMicros, double sendDeltaMs)
    {
        if (!_started)
        {
            _firstArrivalMicros = arrivalMicros; // the peer's clock: may be negative
            _started = true;
        }

        _deltas = Math.Min(_deltas + 1, 1000);
        _accumulated += variationMs;
        _smoothed = (Smoothing * _smoothed) + ((1 - Smoothing) * _accumulated);

        _x[_head] = (arrivalMicros - _firstArrivalMicros) / 1000.0;
        _y[_head] = _smoothed;
        _head = (_head + 1) % WindowSize;
        _count = Math.Min(_count + 1, WindowSize);

        var trend = _previousTrend;
        if (_count == WindowSize && TrySlope(out var slope))
        {
            trend = slope;
        }

        Detect(trend, sendDeltaMs, arrivalMicros);
        return State;
    }

    private bool TrySlope(out double slope)
    {
        slope = 0;
        double meanX = 0, meanY = 0;
        for (var i = 0; i < _count; i++)
        {
            meanX += _x[i];
            meanY += _y[i];
        }

        meanX /= _count;
        meanY /= _count;
        double numerator = 0, denominator = 0;
        for (var i = 0; i < _count; i++)
        {
            numerator += (_x[i] - meanX) * (_y[i] - meanY);
            denominator += (_x[i] - meanX) * (_x[i] - meanX);
        }

        if (denominator == 0)
        {
            return false;
        }

        slope = numerator / denominator;
        return true;
    }

    private void Detect(double trend, double sendDeltaMs, long nowMicros)
    {
        if (_deltas < 2)
        {
            State = BandwidthUsage.Normal;
            return;
        }

        var modified = Math.Min(_deltas, MaxDeltas) * trend * ThresholdGain;
        ModifiedTrend = modified;
        if (modified > Threshold)
        {
            _timeOverUsingMs = _timeOverUsingMs < 0 ? sendDeltaMs / 2 : _timeOverUsingMs + sendDeltaMs;
            _overuseCounter++;
            if (_timeOverUsingMs > OverusingTimeThresholdMs && _overuseCounter > 1 && trend >= _previousTrend)
            {
                _timeOverUsingMs = 0;
                _overuseCounter = 0;
                State = BandwidthUsage.Overusing;
            }
        }
        else if (modified < -Threshold)
        {
            _timeOverUsingMs = -1;
            _overuseCounter = 0;
            State = BandwidthUsage.Underusing;
        }
        else
        {
            _timeOverUsingMs = -1;
            _overuseCounter = 0;
            State = BandwidthUsage.Normal;
        }

        _previousTrend = trend;
        UpdateThreshold(modified, nowMicros);
    }

    private void UpdateThreshold(double modified, long nowMicros)
    {
        if (_lastThresholdUpdateMicros < 0)
        {
            _lastThresholdUpdateMicros = nowMicros;
        }

        var magnitude = Math.Abs(modified);
        if (magnitude > Threshold + MaxAdaptOffsetMs)
        {
            _lastThresholdUpdateMicros = nowMicros; // a spike: do not let it drag the threshold
            return;
        }

        var k = magnitude < Threshold ? KDown : KUp;
        var elapsedMs = Math.Min((nowMicros - _lastThresholdUpdateMicros) / 1000.0, 100);
        Threshold = Math.Clamp(Threshold + (k * (magnitude - Threshold) * elapsedMs), MinThreshold, MaxThreshold);
        _lastThresholdUpdateMicros = nowMicros;
    }
}
