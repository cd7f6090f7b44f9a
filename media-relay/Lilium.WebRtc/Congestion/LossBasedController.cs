namespace Lilium.WebRtc.Congestion;

/// <summary>
/// The loss-based controller of draft-ietf-rmcat-gcc-02 §6, with libwebrtc's pacing of it. Loss is measured over at
/// least <see cref="MinPackets"/> packets (from transport-wide feedback, or receiver reports for a peer without it)
/// and smoothed (each new sample weighs 0.3); a cut needs both the sample and the smoothed loss above 10 %, growth
/// both below 2 %, so that steady random loss of a few percent does not, by chance, read as a loss event
/// (libwebrtc's 20-packet samples do, about one in thirteen at 5 %) and the end of an episode is not cut again.
/// It is a cap, absent until loss first exceeds 10 %: then the cap becomes target × (1 − loss/2), and again at most
/// once per 300 ms + RTT while loss stays above 10 %; below 2 % it grows 8 %/s (plus 1 kbit/s) and is lifted once it
/// passes the delay-based estimate; between the two it holds. It keeps its own value rather than following the
/// combined target down, so steady random loss between 2 and 10 % neither raises nor ratchets it, and the
/// delay-based side alone sets the rate there.
/// <para>Supersedes the relay's receiver-report-only <c>LossBasedEstimate</c> once the forwarder runs this estimator.</para>
/// </summary>
internal sealed class LossBasedController(double minBps, double maxBps)
{
    public const int MinPackets = 50;
    private const double Smoothing = 0.3;
    public const double LowLoss = 0.02;
    public const double HighLoss = 0.10;
    private const long DecreaseIntervalMicros = 300_000;

    private long _expected;
    private long _lost;
    private long _lastUpdateMicros = -1;
    private long _updates;
    private long _lastDecreaseMicros = long.MinValue / 2;

    private double? _cap;

    /// <summary>The cap (bits/s), or <c>maxBps</c> while loss has not constrained the path.</summary>
    public double Bps => _cap ?? maxBps;

    /// <summary>True while a loss event constrains the rate.</summary>
    public bool Constrained => _cap is not null;

    /// <summary>The smoothed loss fraction, 0–1.</summary>
    public double LastLoss { get; private set; }

    public long RoundTripMicros { get; set; } = 100_000;

    /// <summary>Raises the value to at least <paramref name="bps"/> (a loss-free probe proved the path carries it).</summary>
    public void RaiseTo(double bps)
    {
        if (_cap is { } cap && bps > cap)
        {
            _cap = Math.Min(bps, maxBps);
        }
    }

    /// <summary>Accounts for <paramref name="expected"/> packets of which <paramref name="lost"/> were lost.</summary>
    public void OnPackets(int expected, int lost, double targetBps, double delayBasedBps, long nowMicros)
    {
        _expected += expected;
        _lost += lost;
        if (_expected < MinPackets)
        {
            return;
        }

        var sample = (double)_lost / _expected;
        _expected = _lost = 0;
        var loss = LastLoss = _updates++ == 0 ? sample : ((1 - Smoothing) * LastLoss) + (Smoothing * sample);
        var elapsed = _lastUpdateMicros < 0 ? 0 : Math.Min((nowMicros - _lastUpdateMicros) / 1e6, 1.0);
        _lastUpdateMicros = nowMicros;
        // Cut only when this sample and the smoothed loss both say so (a chance spike or the tail of an episode that
        // has ended does not); grow only when both are low.
        var cutLoss = Math.Min(sample, loss);
        if (cutLoss > HighLoss)
        {
            if (nowMicros - _lastDecreaseMicros >= DecreaseIntervalMicros + RoundTripMicros)
            {
                _cap = Math.Clamp(Math.Min(Bps, targetBps) * (1 - (0.5 * cutLoss)), minBps, maxBps);
                _lastDecreaseMicros = nowMicros;
            }
        }
        else if (Math.Max(sample, loss) < LowLoss && _cap is { } cap)
        {
            var grown = (cap * Math.Pow(1.08, elapsed)) + (1000 * elapsed);
            _cap = grown >= delayBasedBps ? null : Math.Clamp(grown, minBps, maxBps);
        }
    }
}
