using Lilium.WebRtc.Congestion;

namespace Lilium.Relay.Media;

/// <summary>
/// When and how fast one subscriber is probed (no sockets: <see cref="SubscriberProbing"/> sends what this says is due).
/// The subscriber's <see cref="SendSideBandwidthEstimator"/> decides when a probe is wanted (after a decrease, once the
/// estimate has held 3 s, at 2× it; then 2× each result that went through), bounded by a ceiling (no probe while the
/// estimate is at or above it); this paces the cluster: padding-only packets of <see cref="PaddingPacketBytes"/>, each
/// due <c>size × 8 / rate</c> after the one before, at least the cluster's minimum packets and bytes and at most
/// <see cref="MaxPacketsPerCluster"/>; when the sender has to wait (no frame gap, <see cref="Postpone"/>) the schedule
/// moves with it, so no burst follows and the cluster keeps its rate; a pump that comes late (the 5 ms timer on a busy
/// machine) sends what fell due since, up to <see cref="MaxCatchUpMicros"/> of it, so the cluster leaves at its rate and
/// not at the timer's (a late tick that lost its time sent clusters at 50–70 % of their rate, which the feedback then
/// measured as the path's, ending each exponential run at its first step); one not sent within
/// <see cref="ClusterTimeoutMicros"/> is given up. Each packet is numbered in the estimator's send history with the cluster's id, so the
/// subscriber's transport feedback measures the cluster and the estimate jumps to what went through.
/// <para>
/// It also paces an up-switch trial's padding (<see cref="TopUpDue"/>, <see cref="OnTopUpSent"/>): a steady rate for as
/// long as the trial lasts, numbered as ordinary packets (no cluster), so the delay- and loss-based estimate judges the
/// path at the rate the next layer needs (<see cref="LayerSelector"/>). Media loop only.
/// </para>
/// </summary>
internal sealed class SubscriberProber(SendSideBandwidthEstimator estimator)
{
    /// <summary>RFC 3550 padding: the count is one octet, so 255 octets at most per packet.</summary>
    public const int PaddingBytes = 255;

    /// <summary>Roughly the RTP packet a padding-only probe packet makes (header, the subscriber's extension block, padding).</summary>
    public const int PaddingPacketBytes = 300;

    /// <summary>Bound on one cluster (a 7.5 Mbit/s probe for 15 ms needs about 50).</summary>
    public const int MaxPacketsPerCluster = 100;

    /// <summary>How long a cluster may wait for frame gaps (a publisher held at a low rate spreads each frame over most of a second); the estimator frees it after 1 s.</summary>
    public const long ClusterTimeoutMicros = 900_000;

    /// <summary>How much schedule a late pump may catch up on at once (two pump intervals): more is lost, not burst.</summary>
    public const long MaxCatchUpMicros = 10_000;

    private long _topUpLastMicros = -1;
    private double _topUpCreditBytes;
    private ProbeCluster _cluster;
    private long _startMicros;
    private long _nextDueMicros;
    private int _wanted;

    /// <summary>A cluster is being sent.</summary>
    public bool Active { get; private set; }

    public int PacketsSent { get; private set; }

    public int BytesSent { get; private set; }

    public ProbeCluster Cluster => _cluster;

    /// <summary>Starts a cluster if the estimator wants one and the estimate is below <paramref name="ceilingBps"/>.</summary>
    public bool TryStart(long nowMicros, double ceilingBps)
    {
        if (Active || !estimator.TryGetProbe(nowMicros, ceilingBps, out var cluster))
        {
            return false;
        }

        _cluster = cluster;
        _startMicros = nowMicros;
        _nextDueMicros = nowMicros;
        _wanted = Math.Clamp(Math.Max(cluster.MinPackets, (cluster.MinBytes + PaddingPacketBytes - 1) / PaddingPacketBytes), 1, MaxPacketsPerCluster);
        PacketsSent = 0;
        BytesSent = 0;
        Active = true;
        return true;
    }

    /// <summary>How many packets of <paramref name="size"/> bytes are due now (0 when none, or the cluster ran out of time).</summary>
    public int Due(long nowMicros, int size)
    {
        if (!Active)
        {
            return 0;
        }

        var elapsed = nowMicros - _startMicros;
        if (elapsed > ClusterTimeoutMicros)
        {
            Active = false; // the estimator frees its outstanding cluster a second after it started
            return 0;
        }

        if (nowMicros < _nextDueMicros)
        {
            return 0;
        }

        var byNow = 1 + ((nowMicros - _nextDueMicros) / Math.Max(1, _cluster.SpacingMicros(size)));
        return (int)Math.Min(byNow, _wanted - PacketsSent);
    }

    /// <summary>The sender could not send what was due (no frame gap now): what is due moves to now, not into a burst later.</summary>
    public void Postpone(long nowMicros) => _nextDueMicros = Math.Max(_nextDueMicros, nowMicros);

    /// <summary>Records one probe packet of <paramref name="size"/> bytes sent now; returns its transport-wide sequence number.</summary>
    public ushort OnSent(int size, long nowMicros)
    {
        var sequence = estimator.OnPacketSent(size, nowMicros, _cluster.Id);
        var spacing = Math.Max(1, _cluster.SpacingMicros(size));
        _nextDueMicros = Math.Max(_nextDueMicros, nowMicros - Math.Max(spacing, MaxCatchUpMicros)) + spacing;
        PacketsSent++;
        BytesSent += size;
        if (PacketsSent >= _wanted)
        {
            Active = false;
        }

        return sequence;
    }

    /// <summary>
    /// How many padding packets of <paramref name="size"/> bytes are due now for a steady top-up at <paramref name="bps"/>
    /// (0 stops it). Credit accrues at the rate from the last call, at most <see cref="MaxCatchUpMicros"/> of it, so a late
    /// pump sends what fell due and an idle spell does not become a burst.
    /// </summary>
    public int TopUpDue(long nowMicros, double bps, int size)
    {
        if (bps <= 0)
        {
            _topUpLastMicros = -1;
            _topUpCreditBytes = 0;
            return 0;
        }

        var elapsed = _topUpLastMicros < 0 ? 0 : Math.Min(nowMicros - _topUpLastMicros, MaxCatchUpMicros);
        _topUpCreditBytes = Math.Min(_topUpCreditBytes + (bps / 8 * Math.Max(0, elapsed) / 1e6), size + (bps / 8 * MaxCatchUpMicros / 1e6));
        _topUpLastMicros = nowMicros;
        return (int)Math.Min(_topUpCreditBytes / size, MaxPacketsPerCluster);
    }

    /// <summary>Records one top-up padding packet sent now; returns its transport-wide sequence number.</summary>
    public ushort OnTopUpSent(int size, long nowMicros)
    {
        _topUpCreditBytes -= size;
        return estimator.OnPacketSent(size, nowMicros);
    }
}
