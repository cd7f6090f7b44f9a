using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtcp;
using Xunit.Abstractions;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Drives the whole transport-wide CC loop — send history, <see cref="TransportCcRecorder"/>, the feedback's wire
/// format both ways, <see cref="SendSideBandwidthEstimator"/> — through a deterministic link model: a drop-tail FIFO
/// serialising at the link rate, a fixed propagation delay each way, optional seeded random loss. The sender sends
/// 1200-byte packets paced at the estimate and the probes the estimator asks for. Simulated time, 1 ms steps.
/// </summary>
[Trait("Category", "Unit")]
public sealed class BandwidthEstimatorSimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void Converges_to_a_500_kbit_bottleneck_within_3_s_and_stays()
    {
        var sim = new Simulation(capacityBps: 500_000, lossRate: 0);
        sim.Run(3_000);
        var samples = sim.Run(17_000);
        Log(sim);
        foreach (var (t, bps) in samples)
        {
            Assert.True(bps is >= 350_000 and <= 650_000, $"at {t} ms the estimate is {bps:F0} bit/s, outside 500 kbit/s ± 30 %");
        }

        // And it uses the link: the receiver got most of it, with the queue kept short.
        output.WriteLine($"3–20 s: estimate {samples.Min(s => s.Bps):F0}–{samples.Max(s => s.Bps):F0} bit/s, goodput {sim.ReceivedBps(3_000, 20_000):F0} bit/s, median queue {sim.MedianQueueDelayMs(3_000, 20_000):F1} ms");
        Assert.True(sim.ReceivedBps(3_000, 20_000) > 400_000, $"goodput {sim.ReceivedBps(3_000, 20_000):F0} bit/s");
        Assert.True(sim.MedianQueueDelayMs(3_000, 20_000) < 150, $"median queue delay {sim.MedianQueueDelayMs(3_000, 20_000)} ms");
    }

    [Fact]
    public void A_peer_clock_with_negative_reference_times_changes_nothing()
    {
        // The feedback's 24-bit reference time is the peer's and signed; shift it below zero on the wire.
        var sim = new Simulation(capacityBps: 500_000, lossRate: 0) { NegativePeerClock = true };
        sim.Run(3_000);
        var samples = sim.Run(7_000);
        Assert.All(samples, s => Assert.InRange(s.Bps, 350_000, 650_000));
    }

    [Fact]
    public void Ramps_above_2_mbit_within_a_few_seconds_once_the_limit_lifts()
    {
        var sim = new Simulation(capacityBps: 500_000, lossRate: 0);
        var constrained = sim.Run(10_000);
        Assert.True(constrained[^1].Bps < 650_000, $"constrained estimate {constrained[^1].Bps:F0}");
        sim.CapacityBps = 10_000_000;
        var lifted = sim.Run(10_000);
        Log(sim);
        var first = lifted.FirstOrDefault(s => s.Bps > 2_000_000);
        Assert.True(first.Ms > 0, $"never above 2 Mbit/s after the limit lifted; final {lifted[^1].Bps:F0}");
        output.WriteLine($"above 2 Mbit/s {first.Ms - 10_000} ms after the limit lifted; final {lifted[^1].Bps:F0} bit/s");
        Assert.True(first.Ms - 10_000 <= 5_000, $"above 2 Mbit/s only {first.Ms - 10_000} ms after the limit lifted");
        Assert.True(lifted[^1].Bps > 2_000_000, $"fell back to {lifted[^1].Bps:F0}");
    }

    [Fact]
    public void Five_percent_random_loss_does_not_collapse_the_estimate()
    {
        var sim = new Simulation(capacityBps: 2_000_000, lossRate: 0);
        sim.Run(5_000);
        sim.LossRate = 0.05;
        var lossy = sim.Run(15_000);
        Log(sim);
        Assert.InRange(sim.LossFraction(5_000, 20_000), 0.03, 0.08); // the model really lost ~5 %
        output.WriteLine($"6–20 s at {sim.LossFraction(5_000, 20_000):P1} loss: estimate {lossy.Where(s => s.Ms >= 6_000).Min(s => s.Bps):F0}–{lossy.Max(s => s.Bps):F0} bit/s");
        foreach (var (t, bps) in lossy.Where(s => s.Ms >= 6_000))
        {
            Assert.True(bps >= 0.7 * 2_000_000, $"at {t} ms the estimate is {bps:F0} bit/s, below 70 % of the 2 Mbit/s link");
        }
    }

    [Fact]
    public void Sustained_heavy_loss_cuts_the_estimate()
    {
        // The check that the loss side is real: 25 % loss on a fast link must bring the estimate down.
        var sim = new Simulation(capacityBps: 5_000_000, lossRate: 0);
        var clean = sim.Run(5_000);
        sim.LossRate = 0.25;
        var lossy = sim.Run(5_000);
        Log(sim);
        Assert.True(lossy[^1].Bps < 0.5 * clean[^1].Bps, $"clean {clean[^1].Bps:F0}, after 5 s at 25 % loss {lossy[^1].Bps:F0}");
    }

    private void Log(Simulation sim)
    {
        foreach (var line in sim.Log)
        {
            output.WriteLine(line);
        }
    }

    /// <summary>The sender, link and receiver, stepped 1 ms at a time.</summary>
    private sealed class Simulation
    {
        private const int PacketSize = 1200;
        private const long OneWayMicros = 20_000;
        private const long QueueLimitMicros = 300_000; // drop-tail beyond 300 ms of queue at the link rate

        private readonly SendSideBandwidthEstimator _estimator = new();
        private readonly TransportCcRecorder _recorder = new(senderSsrc: 1, mediaSsrc: 2);
        private readonly TransportCcFeedback _parsed = new();
        private readonly Random _random = new(25);
        private readonly Queue<(ushort Seq, long ArrivalMicros)> _inFlight = new();
        private readonly Queue<(byte[] Packet, long DeliverMicros)> _feedback = new();
        private readonly Queue<(long SendMicros, int ClusterId, double Bps, int Left)> _probes = new();
        private readonly byte[] _buffer = new byte[1200];
        private readonly List<(long Ms, long Bytes, long QueueMicros)> _deliveries = [];
        private long _linkFreeMicros;
        private long _nowMicros;
        private double _tokens;
        private readonly List<(long Ms, bool Lost)> _lossLog = [];

        public Simulation(double capacityBps, double lossRate)
        {
            CapacityBps = capacityBps;
            LossRate = lossRate;
        }

        public double CapacityBps { get; set; }

        public double LossRate { get; set; }

        public bool NegativePeerClock { get; init; }

        public List<(long Ms, double Bps)> Samples { get; } = [];

        public List<string> Log { get; } = [];

        public List<(long Ms, double Bps)> Run(int milliseconds)
        {
            var start = Samples.Count;
            for (var i = 0; i < milliseconds; i++)
            {
                Step();
            }

            return Samples.GetRange(start, Samples.Count - start);
        }

        public double ReceivedBps(long fromMs, long toMs) =>
            _deliveries.Where(d => d.Ms >= fromMs && d.Ms < toMs).Sum(d => d.Bytes) * 8.0 / ((toMs - fromMs) / 1000.0);

        public double MedianQueueDelayMs(long fromMs, long toMs)
        {
            var delays = _deliveries.Where(d => d.Ms >= fromMs && d.Ms < toMs).Select(d => d.QueueMicros / 1000.0).Order().ToList();
            return delays[delays.Count / 2];
        }

        public double LossFraction(long fromMs, long toMs)
        {
            var window = _lossLog.Where(l => l.Ms >= fromMs && l.Ms < toMs).ToList();
            return window.Count(l => l.Lost) / (double)window.Count;
        }

        private void Step()
        {
            _nowMicros += 1_000;

            // Sender: media paced at the target; a probe replaces it while it lasts (a pacer sends a cluster at the
            // cluster's rate in all, media and padding together).
            if (_probes.Count == 0)
            {
                _tokens = Math.Min(_tokens + (_estimator.TargetBps / 8 / 1000), 4 * PacketSize);
            }

            while (_tokens >= PacketSize)
            {
                _tokens -= PacketSize;
                Send(-1);
            }

            if (_estimator.TryGetProbe(_nowMicros, out var cluster))
            {
                var packets = Math.Max(cluster.MinPackets, (cluster.MinBytes + PacketSize - 1) / PacketSize);
                _probes.Enqueue((_nowMicros, cluster.Id, cluster.Bps, packets));
            }

            while (_probes.TryPeek(out var probe) && probe.SendMicros <= _nowMicros)
            {
                _probes.Dequeue();
                Send(probe.ClusterId);
                if (probe.Left > 1)
                {
                    var spacing = (long)(PacketSize * 8 * 1e6 / probe.Bps);
                    _probes.Enqueue((probe.SendMicros + spacing, probe.ClusterId, probe.Bps, probe.Left - 1));
                }
            }

            // Receiver: arrivals, then feedback on its interval (sent back over the same one-way delay).
            while (_inFlight.TryPeek(out var arrival) && arrival.ArrivalMicros <= _nowMicros)
            {
                _inFlight.Dequeue();
                _recorder.OnPacket(arrival.Seq, arrival.ArrivalMicros + 7_000_000); // another clock
            }

            if (_recorder.IsFeedbackDue(_nowMicros))
            {
                while (_recorder.TryWriteFeedback(_buffer, _nowMicros, out var n))
                {
                    if (NegativePeerClock)
                    {
                        var reference = (_buffer[16] << 16) | (_buffer[17] << 8) | _buffer[18];
                        reference = (reference - 0x700000) & 0xFFFFFF;
                        (_buffer[16], _buffer[17], _buffer[18]) = ((byte)(reference >> 16), (byte)(reference >> 8), (byte)reference);
                    }

                    _feedback.Enqueue((_buffer[..n], _nowMicros + OneWayMicros));
                }
            }

            while (_feedback.TryPeek(out var fb) && fb.DeliverMicros <= _nowMicros)
            {
                _feedback.Dequeue();
                Assert.True(_parsed.TryParse(fb.Packet), "the recorder's feedback did not parse");
                _estimator.OnTransportFeedback(_parsed, _nowMicros);
            }

            Samples.Add((_nowMicros / 1000, _estimator.TargetBps));
            if (_nowMicros % 250_000 == 0)
            {
                var queue = Math.Max(0, _linkFreeMicros - _nowMicros) / 1000;
                Log.Add($"{_nowMicros / 1000,6} ms target {_estimator.TargetBps / 1000,6:F0} delay {_estimator.DelayBasedBps / 1000,6:F0} loss {_estimator.LossBasedBps / 1000,6:F0} acked {(_estimator.AcknowledgedBps ?? 0) / 1000,6:F0} kbit/s {_estimator.Usage} queue {queue} ms lossfrac {_estimator.LossFraction:F3}");
            }
        }

        private void Send(int clusterId)
        {
            var seq = _estimator.OnPacketSent(PacketSize, _nowMicros, clusterId);
            var serialise = (long)(PacketSize * 8 * 1e6 / CapacityBps);
            var start = Math.Max(_nowMicros, _linkFreeMicros);
            var queued = start - _nowMicros;
            if (queued > QueueLimitMicros)
            {
                _lossLog.Add((_nowMicros / 1000, true));
                return;
            }

            _linkFreeMicros = start + serialise;
            if (_random.NextDouble() < LossRate)
            {
                _lossLog.Add((_nowMicros / 1000, true));
                return; // lost on the wire after the queue (random loss)
            }

            _lossLog.Add((_nowMicros / 1000, false));
            var arrival = _linkFreeMicros + OneWayMicros;
            _deliveries.Add((arrival / 1000, PacketSize, queued));
            _inFlight.Enqueue((seq, arrival));
        }
    }
}
