namespace Lilium.WebRtc.Congestion;

/// <summary>
/// A probe the sender is asked to send: at least <see cref="MinPackets"/> packets and <see cref="MinBytes"/> bytes,
/// paced at <see cref="Bps"/>, each recorded with <see cref="Id"/> in the send history (padding-only RTP, or RTX
/// repeats of recent packets, on the probed subscriber's transport).
/// </summary>
public readonly record struct ProbeCluster(int Id, double Bps, int MinPackets, int MinBytes)
{
    /// <summary>The gap between two probe packets of <paramref name="size"/> bytes (µs).</summary>
    public long SpacingMicros(int size) => (long)(size * 8 * 1e6 / Bps);
}

/// <summary>
/// When to probe (libwebrtc's ProbeController, simplified): two exponential probes at 3× and 6× the start rate; after
/// a probe that came back at ≥ 70 % of its rate, another at 2× the result, while below the maximum; and, once the
/// estimate has gone <see cref="PeriodicIntervalMicros"/> without a delay-based decrease or a probe, one at 2× the
/// estimate, so a path that got faster is found in seconds rather than at 8 %/s. One cluster is outstanding at a time
/// (its result, or a second of silence, frees the next).
/// </summary>
internal sealed class ProbeController(double startBps, double maxBps, bool initialProbes = true)
{
    public const long PeriodicIntervalMicros = 3_000_000;
    private const long ResultTimeoutMicros = 1_000_000;
    private const double ContinueFraction = 0.7;
    private const int MinPackets = 5;
    private const long MinDurationMicros = 15_000;

    private readonly Queue<double> _pending = initialProbes ? new([3 * startBps, 6 * startBps]) : new();
    private int _nextId = 1;
    private int _outstandingId;
    private double _outstandingBps;
    private long _outstandingSinceMicros;
    private long _lastProbeMicros = long.MinValue / 2;

    public bool TryGetProbe(long nowMicros, double estimateBps, long lastDecreaseMicros, out ProbeCluster cluster) =>
        TryGetProbe(nowMicros, estimateBps, lastDecreaseMicros, maxBps, out cluster);

    /// <summary>A probe due now, at most <paramref name="capBps"/> fast (and none periodic once the estimate reaches it).</summary>
    public bool TryGetProbe(long nowMicros, double estimateBps, long lastDecreaseMicros, double capBps, out ProbeCluster cluster)
    {
        capBps = Math.Min(capBps, maxBps);
        cluster = default;
        if (_outstandingId != 0)
        {
            if (nowMicros - _outstandingSinceMicros < ResultTimeoutMicros)
            {
                return false;
            }

            _outstandingId = 0;
            _pending.Clear(); // no answer: stop the exponential run
        }

        double bps;
        if (_pending.Count > 0)
        {
            bps = _pending.Dequeue();
        }
        else if (nowMicros - _lastProbeMicros >= PeriodicIntervalMicros && nowMicros - lastDecreaseMicros >= PeriodicIntervalMicros
                 && estimateBps < capBps)
        {
            bps = 2 * estimateBps;
        }
        else
        {
            return false;
        }

        bps = Math.Min(bps, capBps);
        var minBytes = (int)(bps * MinDurationMicros / 8e6);
        cluster = new ProbeCluster(_nextId++, bps, MinPackets, minBytes);
        _outstandingId = cluster.Id;
        _outstandingBps = bps;
        _outstandingSinceMicros = nowMicros;
        _lastProbeMicros = nowMicros;
        return true;
    }

    /// <summary>A probe's measured rate; queues the next exponential step when it went through.</summary>
    public void OnResult(int clusterId, double resultBps)
    {
        if (clusterId != _outstandingId)
        {
            return;
        }

        _outstandingId = 0;
        if (resultBps >= ContinueFraction * _outstandingBps && resultBps < maxBps && _pending.Count == 0)
        {
            _pending.Enqueue(2 * resultBps);
        }
        else if (resultBps < ContinueFraction * _outstandingBps)
        {
            _pending.Clear(); // the path is saturated: no further steps
        }
    }
}

/// <summary>
/// A probe cluster's rate from its feedback (libwebrtc's ProbeBitrateEstimator): once ≥ 80 % of its minimum packets
/// and of its minimum bytes (<see cref="Start"/>; 15 ms at its rate) arrived, send rate = bytes without the last over the send interval, receive rate = bytes without the first over
/// the receive interval; the result is the smaller, or 95 % of the receive rate when that is below 90 % of the send
/// rate (the path, not the sender, limited it). Intervals over a second are not a probe.
/// </summary>
internal sealed class ProbeBitrateEstimator
{
    private const int MaxClusters = 8;
    private readonly Cluster[] _clusters = new Cluster[MaxClusters];

    /// <summary>
    /// A cluster handed to the sender: its result waits for 80 % of its minimum bytes too, so that a cluster paced by a
    /// coarse timer (one packet, then a catch-up burst a tick later) is not measured over its first tick alone.
    /// </summary>
    public void Start(in ProbeCluster cluster) => _clusters[cluster.Id % MaxClusters] = Cluster.Empty(cluster.Id, cluster.MinPackets, cluster.MinBytes);

    /// <summary>Adds one received probe packet; true with the cluster's rate when it has enough to say.</summary>
    public bool TryAdd(in SentPacket sent, long arrivalMicros, int minPackets, out double resultBps)
    {
        resultBps = 0;
        ref var c = ref _clusters[sent.ProbeClusterId % MaxClusters];
        if (c.Id != sent.ProbeClusterId)
        {
            c = Cluster.Empty(sent.ProbeClusterId, minPackets, 0);
        }

        c.Packets++;
        c.Bytes += sent.Size;
        if (sent.SendMicros < c.FirstSend)
        {
            c.FirstSend = sent.SendMicros;
        }

        if (sent.SendMicros >= c.LastSend)
        {
            c.LastSend = sent.SendMicros;
            c.LastSentSize = sent.Size;
        }

        if (arrivalMicros < c.FirstArrival)
        {
            c.FirstArrival = arrivalMicros;
            c.FirstArrivalSize = sent.Size;
        }

        c.LastArrival = Math.Max(c.LastArrival, arrivalMicros);
        if (c.Packets < Math.Ceiling(0.8 * c.MinPackets) || c.Bytes < 0.8 * c.MinBytes)
        {
            return false;
        }

        var sendInterval = c.LastSend - c.FirstSend;
        var receiveInterval = c.LastArrival - c.FirstArrival;
        if (sendInterval <= 0 || receiveInterval <= 0 || sendInterval > 1_000_000 || receiveInterval > 1_000_000)
        {
            return false;
        }

        var sendBps = (c.Bytes - c.LastSentSize) * 8e6 / sendInterval;
        var receiveBps = (c.Bytes - c.FirstArrivalSize) * 8e6 / receiveInterval;
        resultBps = receiveBps < 0.9 * sendBps ? 0.95 * receiveBps : Math.Min(sendBps, receiveBps);
        return true;
    }

    private struct Cluster
    {
        public int Id;
        public int MinPackets;
        public int MinBytes;
        public int Packets;
        public long Bytes;
        public long FirstSend;
        public long LastSend;
        public int LastSentSize;
        public long FirstArrival;
        public int FirstArrivalSize;
        public long LastArrival;

        public static Cluster Empty(int id, int minPackets, int minBytes) => new()
        {
            Id = id,
            MinPackets = minPackets,
            MinBytes = minBytes,
            FirstSend = long.MaxValue,
            FirstArrival = long.MaxValue,
            LastSend = long.MinValue,
            LastArrival = long.MinValue,
        };
    }
}
