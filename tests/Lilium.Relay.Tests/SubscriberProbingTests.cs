using Lilium.Relay.Media;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Tests;

/// <summary>
/// Probing a subscriber (issue 25): the prober's pacing and bounds on a fake clock (explicit microseconds), the
/// estimate lifted by a probe that went through, and the video track's numbering around padding packets (late packets
/// and NACKs still map to what they were).
/// </summary>
[Trait("Category", "Unit")]
public sealed class SubscriberProbingTests
{
    private static SendSideBandwidthEstimator Estimator(double startBps) => new(new BandwidthEstimatorOptions
    {
        StartBps = startBps,
        MaxBps = 100_000_000,
        MinBps = 150_000,
        InitialProbes = false,
    });

    [Fact]
    public void A_probe_is_paced_at_its_rate_bounded_and_numbered_with_its_cluster()
    {
        var estimator = Estimator(500_000);
        var prober = new SubscriberProber(estimator);
        Assert.True(prober.TryStart(0, ceilingBps: 8_000_000)); // 3 s without a decrease or probe: 2× the estimate
        Assert.Equal(1_000_000, prober.Cluster.Bps);
        Assert.False(prober.TryStart(1, 8_000_000)); // one at a time

        // 1 Mbit/s, 300-byte packets: one every 2.4 ms; 15 ms and 5 packets at least → 7 packets.
        var sent = new List<long>();
        for (long now = 0; prober.Active && now < 100_000; now += 1_000)
        {
            var due = prober.Due(now, SubscriberProber.PaddingPacketBytes);
            Assert.InRange(due, 0, 2);
            for (var i = 0; i < due; i++)
            {
                prober.OnSent(SubscriberProber.PaddingPacketBytes, now);
                sent.Add(now);
            }
        }

        Assert.Equal(7, sent.Count);
        Assert.Equal([0, 3_000, 5_000, 8_000, 10_000, 12_000, 15_000], sent); // n-th at ⌈n × 2.4 ms⌉ on a 1 ms tick
        Assert.False(prober.Active);
        Assert.Equal(0, prober.Due(20_000, 300));
        Assert.Equal(7, estimator.History.Sent);
        Assert.True(estimator.History.TryAcknowledge(0, out var first));
        Assert.Equal(prober.Cluster.Id, first.ProbeClusterId);
    }

    [Fact]
    public void No_probe_at_or_above_the_ceiling_and_none_faster_than_one_and_a_half_times_it()
    {
        Assert.False(new SubscriberProber(Estimator(2_000_000)).TryStart(0, ceilingBps: 2_000_000));
        var prober = new SubscriberProber(Estimator(1_500_000));
        Assert.True(prober.TryStart(0, ceilingBps: 1_800_000));
        Assert.Equal(2_700_000, prober.Cluster.Bps); // 2 × 1.5 Mbit/s capped at 1.5 × the ceiling

        // A fast probe is bounded: 60 Mbit/s for 15 ms would be 375 packets of 300 bytes.
        var big = new SubscriberProber(Estimator(30_000_000));
        Assert.True(big.TryStart(0, ceilingBps: 100_000_000));
        var total = 0;
        for (long now = 0; big.Active; now += 1_000)
        {
            var due = big.Due(now, 300);
            for (var i = 0; i < due; i++)
            {
                big.OnSent(300, now);
                total++;
            }
        }

        Assert.Equal(SubscriberProber.MaxPacketsPerCluster, total);
    }

    [Fact]
    public void A_cluster_that_had_to_wait_for_a_frame_gap_resumes_at_its_rate_without_a_burst()
    {
        var prober = new SubscriberProber(Estimator(500_000)); // 1 Mbit/s: a 300-byte packet every 2.4 ms
        Assert.True(prober.TryStart(0, 8_000_000));
        Assert.Equal(1, prober.Due(0, 300));
        prober.OnSent(300, 0);
        for (long now = 5_000; now <= 40_000; now += 5_000)
        {
            Assert.True(prober.Due(now, 300) > 0);
            prober.Postpone(now); // inside a frame each time
        }

        Assert.Equal(3, prober.Due(45_000, 300)); // 5 ms after the last wait: 5 ms' worth (1 + 2 spacings), not 45 ms' worth (the rest, 6)
    }

    [Fact]
    public void A_cluster_that_finds_no_room_is_given_up_and_the_next_waits_for_the_estimator()
    {
        var prober = new SubscriberProber(Estimator(500_000));
        Assert.True(prober.TryStart(0, 8_000_000));
        prober.OnSent(300, 0);
        Assert.Equal(0, prober.Due(SubscriberProber.ClusterTimeoutMicros + 1, 300));
        Assert.False(prober.Active);
        Assert.False(prober.TryStart(SubscriberProber.ClusterTimeoutMicros + 2, 8_000_000)); // outstanding at the estimator for 1 s
        Assert.False(prober.TryStart(1_200_000, 8_000_000)); // then: periodic probes wait 3 s after the last
        Assert.True(prober.TryStart(3_000_000, 8_000_000));
    }

    [Fact]
    public void A_probe_that_goes_through_lifts_the_estimate_at_once()
    {
        var estimator = Estimator(500_000);
        var prober = new SubscriberProber(estimator);
        Assert.True(prober.TryStart(0, 8_000_000));
        var sequences = new List<ushort>();
        var sendTimes = new List<long>();
        for (long now = 0; prober.Active; now += 1_000)
        {
            for (var i = prober.Due(now, 300); i > 0; i--)
            {
                sequences.Add(prober.OnSent(300, now));
                sendTimes.Add(now);
            }
        }

        // The path carries it: every packet arrives 20 ms after it left, with the same spacing.
        var buffer = new byte[400];
        var arrivals = sendTimes.Select(t => t + 20_000).ToArray();
        var length = TransportCcFeedback.Write(buffer, 1, 2, sequences[0], 0, arrivals, out var consumed);
        Assert.Equal(sequences.Count, consumed);
        var feedback = new TransportCcFeedback();
        Assert.True(feedback.TryParse(buffer.AsSpan(0, length)));
        Assert.Equal(500_000, estimator.TargetBps);
        estimator.OnTransportFeedback(feedback, 60_000);
        Assert.InRange(estimator.TargetBps, 900_000, 1_100_000);

        // The next step follows at once: 2× what went through.
        Assert.True(prober.TryStart(61_000, 8_000_000));
        Assert.InRange(prober.Cluster.Bps, 1_800_000, 2_200_000);
    }

    [Fact]
    public void A_trials_padding_is_steady_at_its_rate_catches_up_on_a_late_tick_only_so_far_and_stops_at_zero()
    {
        var estimator = Estimator(500_000);
        var prober = new SubscriberProber(estimator);
        const int size = SubscriberProber.PaddingPacketBytes;
        var sent = 0;
        for (long now = 0; now <= 1_000_000; now += 5_000)
        {
            for (var i = prober.TopUpDue(now, 1_200_000, size); i > 0; i--)
            {
                prober.OnTopUpSent(size, now);
                sent++;
            }
        }

        Assert.InRange(sent, 498, 501); // 1.2 Mbit/s in 300-byte packets: 500 a second
        Assert.Equal(sent, estimator.History.Sent);
        Assert.True(estimator.History.TryAcknowledge(0, out var first));
        Assert.Equal(-1, first.ProbeClusterId); // ordinary packets: the delay-based estimate judges them

        // A tick 100 ms late sends what 10 ms would have (and what was left over), not 100 ms' worth at once.
        var late = prober.TopUpDue(1_100_000, 1_200_000, size);
        Assert.InRange(late, 5, 6);
        Assert.Equal(0, prober.TopUpDue(1_105_000, 0, size));
        Assert.Equal(0, prober.TopUpDue(1_200_000, 1_200_000, size)); // restarted: credit accrues from here
        Assert.InRange(prober.TopUpDue(1_205_000, 1_200_000, size), 2, 3);
    }
}
