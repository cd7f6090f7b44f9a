namespace Lilium.WebRtc.Congestion;

/// <summary>
/// The delay-based rate controller (draft-ietf-rmcat-gcc-02 §5.5, as libwebrtc's AimdRateControl does it): overuse
/// sets the rate to β = 0.85 of the acknowledged bitrate (at most once per clamp(RTT, 10, 200) ms) and records that
/// as a link-capacity sample; normal use increases it, multiplicatively (8 %/s) while the link capacity is unknown or
/// far, additively (about half a packet per response time, RTT + 100 ms) near it; underuse holds. The rate never
/// exceeds 1.5 × the acknowledged bitrate + 10 kbit/s, so an idle sender does not inflate it.
/// </summary>
internal sealed class AimdRateControl(double startBps, double minBps, double maxBps)
{
    private const double Beta = 0.85;
    private const double MultiplicativePerSecond = 1.08;

    private readonly LinkCapacity _capacity = new();
    private long _lastChangeMicros = -1;
    private long _lastDecreaseMicros = -1;
    private bool _increasing;

    public double Bps { get; private set; } = startBps;

    public long RoundTripMicros { get; set; } = 100_000;

    /// <summary>Sets the estimate outright (a probe's result).</summary>
    public void SetEstimate(double bps, long nowMicros)
    {
        Bps = Math.Clamp(bps, minBps, maxBps);
        _lastChangeMicros = nowMicros;
    }

    public void Update(BandwidthUsage usage, double? ackedBps, long nowMicros)
    {
        if (_lastChangeMicros < 0)
        {
            _lastChangeMicros = nowMicros;
        }

        var elapsed = Math.Min((nowMicros - _lastChangeMicros) / 1e6, 1.0);
        switch (usage)
        {
            case BandwidthUsage.Overusing:
                var interval = Math.Clamp(RoundTripMicros, 10_000, 200_000);
                if (_lastDecreaseMicros >= 0 && nowMicros - _lastDecreaseMicros < interval
                    && !(ackedBps is { } fast && fast < Bps / 2))
                {
                    break;
                }

                var basis = ackedBps ?? Bps;
                var decreased = Beta * basis;
                if (decreased > Bps)
                {
                    // Acknowledged above the estimate (a burst): decrease from the capacity, or hold.
                    decreased = _capacity.Estimate is { } c ? Math.Min(Bps, Beta * c) : Bps;
                }

                if (ackedBps is { } acked)
                {
                    _capacity.OnOveruse(acked);
                }

                Bps = Math.Clamp(decreased, minBps, maxBps);
                _lastDecreaseMicros = nowMicros;
                _increasing = false; // hold until the next normal signal
                break;
            case BandwidthUsage.Underusing:
                _increasing = false;
                break;
            default:
                if (!_increasing)
                {
                    _increasing = true; // hold → increase: start counting from now
                    elapsed = 0;
                }

                if (ackedBps is { } a2 && _capacity.UpperBound is { } upper && a2 > upper)
                {
                    _capacity.Reset(); // the path has more room than we learnt
                }

                double increase;
                if (_capacity.Estimate is not null)
                {
                    increase = NearMaxIncreasePerSecond() * elapsed;
                }
                else
                {
                    increase = Bps * (Math.Pow(MultiplicativePerSecond, elapsed) - 1);
                }

                var next = Bps + Math.Max(increase, 0);
                if (ackedBps is { } a3)
                {
                    next = Math.Min(next, Math.Max(Bps, (1.5 * a3) + 10_000));
                }

                Bps = Math.Clamp(next, minBps, maxBps);
                break;
        }

        _lastChangeMicros = nowMicros;
    }

    private double NearMaxIncreasePerSecond()
    {
        const double framesPerSecond = 30;
        const double packetBits = 1200 * 8;
        var bitsPerFrame = Bps / framesPerSecond;
        var packetsPerFrame = Math.Ceiling(bitsPerFrame / packetBits);
        var averagePacketBits = bitsPerFrame / packetsPerFrame;
        var responseSeconds = (RoundTripMicros + 100_000) / 1e6;
        return Math.Max(4_000, averagePacketBits / responseSeconds);
    }

    /// <summary>The link capacity as learnt from the acknowledged rates at overuse, with its normalised variance.</summary>
    private sealed class LinkCapacity
    {
        private double _variance = 0.4;

        public double? Estimate { get; private set; }

        public double? UpperBound => Estimate is { } e ? e + (3 * Deviation(e)) : null;

        public void OnOveruse(double sampleBps)
        {
            if (Estimate is not { } e)
            {
                Estimate = sampleBps;
                return;
            }

            if (sampleBps < e - (3 * Deviation(e)))
            {
                Estimate = sampleBps; // far lower: the link changed, restart from it
                return;
            }

            const double alpha = 0.05;
            var next = ((1 - alpha) * e) + (alpha * sampleBps);
            var errorKbps = (next - sampleBps) / 1000;
            _variance = Math.Clamp(((1 - alpha) * _variance) + (alpha * errorKbps * errorKbps / Math.Max(next / 1000, 1)), 0.4, 2.5);
            Estimate = next;
        }

        public void Reset() => Estimate = null;

        // libwebrtc keeps the variance normalised by the estimate in kbit/s: deviation (kbit/s) = √(var × estimate).
        private double Deviation(double e) => 1000 * Math.Sqrt(_variance * e / 1000);
    }
}

/// <summary>
/// The acknowledged bitrate: bytes the receiver reported over the last <see cref="WindowMicros"/> of arrival time (short, so that a
/// decrease right after the rate rose is taken from what the path carries now). Null until half the window was seen.
/// </summary>
internal sealed class AcknowledgedBitrate
{
    public const long WindowMicros = 250_000;
    private const int Slots = 1024;

    private readonly long[] _arrival = new long[Slots];
    private readonly int[] _size = new int[Slots];
    private int _head;
    private int _count;
    private long _bytes;
    private long _firstArrival;
    private bool _started; // arrival times are the peer's and may be negative: no sentinel value

    public double? Bps { get; private set; }

    public void Add(long arrivalMicros, int size)
    {
        if (_count > 0 && arrivalMicros < _arrival[(_head + _count - 1) % Slots] - 1_000_000)
        {
            // The peer's clock went back by more than reordering explains (its 24-bit reference time wrapped, or
            // it restarted): start over rather than keep entries that would never leave the window.
            _head = _count = 0;
            _bytes = 0;
            _started = false;
        }

        if (!_started)
        {
            _firstArrival = arrivalMicros;
            _started = true;
        }

        if (_count == Slots)
        {
            Pop();
        }

        var slot = (_head + _count) % Slots;
        _arrival[slot] = arrivalMicros;
        _size[slot] = size;
        _count++;
        _bytes += size;
        while (_count > 0 && _arrival[_head] <= arrivalMicros - WindowMicros)
        {
            Pop();
        }

        var span = Math.Min(arrivalMicros - _firstArrival, WindowMicros);
        Bps = span >= WindowMicros / 2 ? _bytes * 8 * 1e6 / span : null;
    }

    private void Pop()
    {
        _bytes -= _size[_head];
        _head = (_head + 1) % Slots;
        _count--;
    }
}
