using Lilium.WebRtc.Rtcp;

namespace Lilium.WebRtc.Congestion;

/// <summary>Limits and the starting point of a <see cref="SendSideBandwidthEstimator"/> (bits/s).</summary>
public sealed record BandwidthEstimatorOptions
{
    public double StartBps { get; init; } = 300_000;

    public double MinBps { get; init; } = 50_000;

    public double MaxBps { get; init; } = 20_000_000;

    /// <summary>Ask for probes (the sender must be able to send padding or RTX on request).</summary>
    public bool Probing { get; init; } = true;

    /// <summary>
    /// Start with the two exponential probes at 3× and 6× <see cref="StartBps"/> (libwebrtc's start-up probing). Off for an
    /// estimator that starts at its maximum and probes only to climb back after a decrease.
    /// </summary>
    public bool InitialProbes { get; init; } = true;
}

/// <summary>
/// A GCC-style send-side bandwidth estimator for one peer's transport (draft-ietf-rmcat-gcc-02, with what libwebrtc
/// does today): what the peer can receive, from transport-wide CC feedback matched against what was sent.
/// <list type="bullet">
/// <item><b>Delay-based</b>: feedback is matched to the <see cref="History"/>; received packets, grouped in 5 ms send
/// bursts, give the delay variation between groups; a trendline filter finds its slope; an overuse detector with an
/// adaptive threshold turns that into overuse / normal / underuse; an AIMD controller turns that into a rate
/// (β = 0.85 × acknowledged on overuse, +8 %/s or +½ packet per response time otherwise).</item>
/// <item><b>Loss-based</b>: a cap from the fraction lost (above 10 %: cut by half the loss; below 2 %: grow and lift;
/// in between: hold).</item>
/// <item><b>Acknowledged bitrate</b>: what the peer reported receiving over the last 500 ms.</item>
/// <item><b>Probing</b>: short bursts at a higher rate (<see cref="TryGetProbe"/>), whose measured rate lifts the
/// estimate at once: at start, exponentially while they go through, and after 3 s without a decrease or a probe.</item>
/// </list>
/// <see cref="TargetBps"/> = min(delay-based, loss-based, the peer's REMB if any), within the options' limits.
/// <para>
/// Times are microseconds on the caller's monotonic clock (send times and "now"); arrival times come from the
/// feedback, on the peer's clock, and only their differences are used. Feedback processing allocates nothing.
/// Not thread-safe: call it from the thread that owns the peer's send path.
/// </para>
/// </summary>
public sealed class SendSideBandwidthEstimator
{
    private readonly BandwidthEstimatorOptions _options;
    private readonly InterArrival _interArrival = new();
    private readonly TrendlineEstimator _trendline = new();
    private readonly AimdRateControl _aimd;
    private readonly LossBasedController _loss;
    private readonly AcknowledgedBitrate _acked = new();
    private readonly ProbeController _probes;
    private readonly ProbeBitrateEstimator _probeResults = new();
    private readonly QueuingDelay _queue = new();
    private long _lastSendForGroup = long.MinValue;
    private long _lastDecreaseMicros = long.MinValue / 2;
    private double? _remoteLimitBps;

    public SendSideBandwidthEstimator(BandwidthEstimatorOptions? options = null, ushort firstSequence = 0)
    {
        _options = options ?? new BandwidthEstimatorOptions();
        _aimd = new AimdRateControl(_options.StartBps, _options.MinBps, _options.MaxBps);
        _loss = new LossBasedController(_options.MinBps, _options.MaxBps);
        _probes = new ProbeController(_options.StartBps, _options.MaxBps, _options.InitialProbes);
        History = new TransportCcSendHistory(firstSequence);
    }

    /// <summary>The transport-wide sequence numbers handed out and what was sent under them.</summary>
    public TransportCcSendHistory History { get; }

    /// <summary>The rate to send at (bits/s): what layer selection and pacing should use.</summary>
    public double TargetBps => Math.Clamp(Math.Min(Math.Min(_aimd.Bps, _loss.Bps), _remoteLimitBps ?? double.MaxValue), _options.MinBps, _options.MaxBps);

    public double DelayBasedBps => _aimd.Bps;

    /// <summary>The loss-based cap, or the maximum while loss has not constrained the path.</summary>
    public double LossBasedBps => _loss.Bps;

    /// <summary>What the peer acknowledged over the last 250 ms of arrivals, or null before enough feedback.</summary>
    public double? AcknowledgedBps => _acked.Bps;

    public BandwidthUsage Usage => _trendline.State;

    /// <summary>The loss fraction (0–1) of the last loss update.</summary>
    public double LossFraction => _loss.LastLoss;

    public long FeedbacksProcessed { get; private set; }

    /// <summary>
    /// The queue the last feedback showed (µs): the smallest one-way delay among its received packets above the lowest
    /// of the last 5–10 s (what every packet of the interval waited: a queue, not one packet's jitter). No filter across
    /// feedbacks — for a sender that adds load on purpose and must stop at the first sign of a queue (the delay-based
    /// estimate reacts to the delay's trend, a few feedbacks later).
    /// </summary>
    public long QueuingDelayMicros => _queue.LastMicros;

    /// <summary>Records a packet about to be sent; returns the transport-wide sequence number to write into it.</summary>
    public ushort OnPacketSent(int size, long nowMicros, int probeClusterId = -1) => History.OnSent(size, nowMicros, probeClusterId);

    /// <summary>The round-trip time (from RTCP SR/RR, µs): sets the controllers' response times.</summary>
    public void OnRoundTripTime(long rttMicros)
    {
        var rtt = Math.Clamp(rttMicros, 1_000, 2_000_000);
        _aimd.RoundTripMicros = rtt;
        _loss.RoundTripMicros = rtt;
    }

    /// <summary>A REMB from the peer (for peers that send one): an upper limit on the target; null clears it.</summary>
    public void OnRemoteEstimate(double? bps) => _remoteLimitBps = bps;

    /// <summary>
    /// A receiver report's loss (RFC 3550 fraction lost over <paramref name="packets"/> packets), for a peer that
    /// sends no transport-wide feedback. Do not feed both: transport feedback already carries the loss.
    /// </summary>
    public void OnReceiverReportLoss(byte fractionLost, int packets, long nowMicros)
    {
        var lost = (int)Math.Round(packets * fractionLost / 256.0);
        _loss.OnPackets(packets, lost, TargetBps, _aimd.Bps, nowMicros);
    }

    /// <summary>One transport-wide CC feedback from the peer, parsed.</summary>
    public void OnTransportFeedback(TransportCcFeedback feedback, long nowMicros)
    {
        FeedbacksProcessed++;
        var expected = 0;
        var lost = 0;
        var probeId = 0;
        var probeBps = 0.0;
        var usage = _trendline.State;
        var sawGroup = false;
        _queue.BeginFeedback();
        foreach (var p in feedback.Packets)
        {
            if (!History.TryAcknowledge(p.Sequence, out var sent))
            {
                continue;
            }

            expected++;
            if (!p.Received)
            {
                lost++;
                continue;
            }

            _acked.Add(p.ArrivalMicros, sent.Size);
            _queue.Add(sent.SendMicros, p.ArrivalMicros, nowMicros);
            if (sent.ProbeClusterId > 0 && _options.Probing
                && _probeResults.TryAdd(sent, p.ArrivalMicros, 5, out var result))
            {
                probeId = sent.ProbeClusterId;
                probeBps = result;
            }

            if (_interArrival.TryAdd(sent.SendMicros, p.ArrivalMicros, out var variationMs, out var groupArrival))
            {
                var sendDeltaMs = _lastSendForGroup == long.MinValue ? 0 : (sent.SendMicros - _lastSendForGroup) / 1000.0;
                _lastSendForGroup = sent.SendMicros;
                usage = _trendline.Update(variationMs, groupArrival, sendDeltaMs);
                sawGroup = true;
            }
        }

        _queue.EndFeedback();
        if (expected == 0)
        {
            return;
        }

        if (probeId != 0)
        {
            _probes.OnResult(probeId, probeBps);
            if (usage != BandwidthUsage.Overusing && probeBps > TargetBps)
            {
                // What went through lifts whichever side holds the target down: the delay-based estimate, and (when
                // this feedback lost nothing) a loss-based cap — which may be the lower one: a sender that never
                // filled its path (a relay's subscriber, held to a layer's rate) keeps a high delay-based estimate.
                if (probeBps > _aimd.Bps)
                {
                    _aimd.SetEstimate(probeBps, nowMicros);
                }

                if (lost == 0)
                {
                    _loss.RaiseTo(probeBps);
                }
            }
        }

        if (sawGroup || usage == BandwidthUsage.Overusing)
        {
            var before = _aimd.Bps;
            _aimd.Update(usage, _acked.Bps, nowMicros);
            if (_aimd.Bps < before)
            {
                _lastDecreaseMicros = nowMicros;
            }
        }

        _loss.OnPackets(expected, lost, TargetBps, _aimd.Bps, nowMicros);
    }

    /// <summary>
    /// A probe to send now, if one is due (call on the pacing timer, e.g. every 5–25 ms). The sender sends the
    /// cluster's packets paced at its rate, each recorded with <see cref="OnPacketSent"/> and the cluster's id.
    /// </summary>
    public bool TryGetProbe(long nowMicros, out ProbeCluster cluster) => TryGetProbe(nowMicros, _options.MaxBps, out cluster);

    /// <summary>
    /// As <see cref="TryGetProbe(long, out ProbeCluster)"/>, with a ceiling: no probe while the target is at or above
    /// <paramref name="ceilingBps"/> (what the sender could use: its top layer's rate, say), and none faster than 1.5× it
    /// (so that a probe that goes through lifts the target past the ceiling and ends the probing), so a sender never
    /// probes for much more room than it has to fill.
    /// </summary>
    public bool TryGetProbe(long nowMicros, double ceilingBps, out ProbeCluster cluster)
    {
        cluster = default;
        if (!_options.Probing || TargetBps >= Math.Min(ceilingBps, _options.MaxBps)
            || !_probes.TryGetProbe(nowMicros, TargetBps, _lastDecreaseMicros, Math.Min(1.5 * ceilingBps, _options.MaxBps), out cluster))
        {
            return false;
        }

        _probeResults.Start(cluster);
        return true;
    }
}
