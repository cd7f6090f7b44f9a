using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;

namespace Lilium.WebRtc.Tests;

/// <summary>The estimator's parts that the link simulation does not isolate: history matching, limits, and allocation.</summary>
[Trait("Category", "Unit")]
public sealed class BandwidthEstimatorTests
{
    [Fact]
    public void History_matches_feedback_once_across_the_wrap_and_ignores_the_unknown()
    {
        var history = new TransportCcSendHistory(firstSequence: 65534);
        Assert.False(history.TryAcknowledge(65534, out _)); // nothing sent yet
        Assert.Equal(65534, history.OnSent(100, 1_000));
        Assert.Equal(65535, history.OnSent(200, 2_000));
        Assert.Equal(0, history.OnSent(300, 3_000, probeClusterId: 4));
        Assert.True(history.TryAcknowledge(0, out var p));
        Assert.Equal((3_000L, 300, 4), (p.SendMicros, p.Size, p.ProbeClusterId));
        Assert.False(history.TryAcknowledge(0, out _));   // reported twice
        Assert.False(history.TryAcknowledge(1, out _));   // never sent
        Assert.False(history.TryAcknowledge(30_000, out _));
        Assert.True(history.TryAcknowledge(65534, out p));
        Assert.Equal(100, p.Size);
    }

    [Fact]
    public void Feedback_about_packets_never_sent_changes_nothing()
    {
        var estimator = new SendSideBandwidthEstimator(new BandwidthEstimatorOptions { StartBps = 1_000_000 });
        var feedback = new TransportCcFeedback();
        var buffer = new byte[200];
        var n = TransportCcFeedback.Write(buffer, 1, 2, 500, 0, [1_000, -1, -1, -1, 90_000], out _);
        Assert.True(feedback.TryParse(buffer.AsSpan(0, n)));
        estimator.OnTransportFeedback(feedback, 100_000);
        Assert.Equal(1_000_000, estimator.TargetBps);
        Assert.Null(estimator.AcknowledgedBps);
    }

    [Fact]
    public void Remote_estimate_and_limits_bound_the_target()
    {
        var estimator = new SendSideBandwidthEstimator(new BandwidthEstimatorOptions { StartBps = 1_000_000, MinBps = 100_000, MaxBps = 3_000_000 });
        estimator.OnRemoteEstimate(400_000);
        Assert.Equal(400_000, estimator.TargetBps);
        estimator.OnRemoteEstimate(10_000);
        Assert.Equal(100_000, estimator.TargetBps);
        estimator.OnRemoteEstimate(null);
        Assert.Equal(1_000_000, estimator.TargetBps);
    }

    [Fact]
    public void Receiver_report_loss_above_10_percent_cuts_and_below_2_percent_lifts_the_cap()
    {
        var estimator = new SendSideBandwidthEstimator(new BandwidthEstimatorOptions { StartBps = 1_000_000 });
        estimator.OnReceiverReportLoss(fractionLost: 77, packets: 100, nowMicros: 1_000_000); // 30 %
        Assert.InRange(estimator.TargetBps, 849_000, 851_000);                              // × (1 − 0.15)
        estimator.OnReceiverReportLoss(77, 100, 1_100_000);                                  // too soon for a second cut
        Assert.InRange(estimator.TargetBps, 849_000, 851_000);
        for (var t = 2; t < 20; t++)
        {
            estimator.OnReceiverReportLoss(0, 100, t * 1_000_000L);
        }

        Assert.Equal(1_000_000, estimator.TargetBps); // grew past the delay-based estimate: the cap is gone
        Assert.Equal(estimator.DelayBasedBps, estimator.TargetBps);
    }

    [Fact]
    public void A_probe_that_goes_through_lifts_a_loss_based_cap_below_the_delay_based_estimate()
    {
        // A relay's subscriber estimate starts at the maximum and its sender is application-limited, so the delay-based
        // side may never cut while loss caps the target. A loss-free probe must lift that cap to what it measured, not
        // be discarded for not beating the (higher) delay-based estimate.
        var estimator = new SendSideBandwidthEstimator(new BandwidthEstimatorOptions { StartBps = 20_000_000, MaxBps = 20_000_000, InitialProbes = false });
        for (var t = 1; t <= 4; t++)
        {
            estimator.OnReceiverReportLoss(fractionLost: 77, packets: 100, nowMicros: t * 1_000_000L); // 30 %: −15 % each
        }

        var capped = estimator.TargetBps;
        Assert.InRange(capped, 10_000_000, 10_500_000);
        Assert.Equal(20_000_000, estimator.DelayBasedBps);
        Assert.True(estimator.TryGetProbe(5_000_000, ceilingBps: 12_000_000, out var cluster));
        Assert.Equal(18_000_000, cluster.Bps); // 2× the target, at most 1.5× the ceiling

        const int size = 1200;
        var packets = Math.Max(cluster.MinPackets, (cluster.MinBytes + size - 1) / size);
        var spacing = cluster.SpacingMicros(size);
        var first = estimator.OnPacketSent(size, 5_000_000, cluster.Id);
        var arrivals = new long[packets];
        for (var i = 1; i < packets; i++)
        {
            estimator.OnPacketSent(size, 5_000_000 + (i * spacing), cluster.Id);
            arrivals[i] = i * spacing;
        }

        var buffer = new byte[400];
        var n = TransportCcFeedback.Write(buffer, 1, 2, first, 0, arrivals, out var consumed);
        Assert.Equal(packets, consumed);
        var feedback = new TransportCcFeedback();
        Assert.True(feedback.TryParse(buffer.AsSpan(0, n)));
        estimator.OnTransportFeedback(feedback, 5_100_000);
        Assert.InRange(estimator.TargetBps, 0.9 * cluster.Bps, 1.05 * cluster.Bps);
        Assert.Equal(estimator.TargetBps, estimator.LossBasedBps);
    }

    [Fact]
    public void The_queuing_delay_is_what_every_packet_of_a_feedback_waited_above_the_recent_lowest_delay()
    {
        var estimator = new SendSideBandwidthEstimator(new BandwidthEstimatorOptions { StartBps = 1_000_000, InitialProbes = false });
        var buffer = new byte[400];
        var feedback = new TransportCcFeedback();
        var count = (byte)0;
        var sentAt = 0L;

        // Ten packets 10 ms apart; each arrives `offset + extra(i)` after it was sent (the peer's clock is unrelated to ours).
        long Feed(long offset, Func<int, long> extra)
        {
            var first = (ushort)0;
            var arrivals = new long[10];
            for (var i = 0; i < arrivals.Length; i++)
            {
                sentAt += 10_000;
                var sequence = estimator.OnPacketSent(1_000, sentAt);
                first = i == 0 ? sequence : first;
                arrivals[i] = extra(i) < 0 ? -1 : sentAt + offset + extra(i);
            }

            var n = TransportCcFeedback.Write(buffer, 1, 2, first, count++, arrivals, out var consumed);
            Assert.Equal(arrivals.Length, consumed);
            Assert.True(feedback.TryParse(buffer.AsSpan(0, n)));
            estimator.OnTransportFeedback(feedback, sentAt + 5_000);
            return estimator.QueuingDelayMicros;
        }

        const long path = 123_456_000;
        Assert.Equal(0, estimator.QueuingDelayMicros);
        Assert.Equal(0, Feed(path, i => i % 2 == 0 ? 0 : 30_000));    // jitter: some packets late, not all
        Assert.Equal(0, Feed(path, i => i * 5_000));                  // a queue that grows 5 ms a packet from none...
        Assert.Equal(50_000, Feed(path, i => 50_000 + (i * 5_000)));  // ...delays every packet of the next feedback
        Assert.Equal(35_500, Feed(path, i => i == 0 ? -1 : 40_000 - (i * 500))); // draining (a lost packet has no delay)
        Assert.Equal(0, Feed(path, i => i == 3 ? -1 : 0));            // drained
        Assert.Equal(0, Feed(path - 20_000, _ => 0));                 // a shorter route is the base at once...
        Assert.Equal(20_000, Feed(path, _ => 0));                     // ...and the old one now reads as queue

        // The peer's reference time wrapped (or its clock jumped): the base restarts rather than reading minutes of queue.
        const long later = path + 900_000_000;
        Assert.Equal(0, Feed(later, _ => 0));

        // A lower delay is forgotten after one to two windows: a standing queue stops reading as one.
        Assert.Equal(60_000, Feed(later + 60_000, _ => 0));
        for (var i = 0; i < 3; i++)
        {
            sentAt += 5_000_000;
            Feed(later + 60_000, _ => 0);
        }

        Assert.Equal(0, estimator.QueuingDelayMicros);
    }

    [Fact]
    public void The_per_packet_and_per_feedback_paths_allocate_nothing()
    {
        var estimator = new SendSideBandwidthEstimator();
        var recorder = new TransportCcRecorder(1, 2);
        var feedback = new TransportCcFeedback();
        var buffer = new byte[1200];
        var packet = new byte[64];
        var n = RtpHeader.WriteFixed(packet, false, 96, 1, 2, 3);
        packet[0] |= 0x10;
        n += RtpExtensions.Write(packet.AsSpan(n), [(4, [0, 0])]);
        Assert.True(RtpHeader.TryParse(packet.AsSpan(0, n), out var header));

        void Round(int i)
        {
            var now = 1_000_000L + (i * 1_000L);
            var seq = estimator.OnPacketSent(1200, now);
            RtpExtensions.TrySetTransportSequence(packet, header, 4, seq);
            RtpExtensions.TryGetTransportSequence(packet, header, 4, out var received);
            recorder.OnPacket(received, now + 20_000);
            if (recorder.IsFeedbackDue(now) && recorder.TryWriteFeedback(buffer, now, out var written) && feedback.TryParse(buffer.AsSpan(0, written)))
            {
                estimator.OnTransportFeedback(feedback, now);
            }

            estimator.TryGetProbe(now, out _);
        }

        for (var i = 0; i < 5_000; i++)
        {
            Round(i); // warm up: buffers reach their size, the pool is primed
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 5_000; i < 10_000; i++)
        {
            Round(i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(estimator.FeedbacksProcessed > 50);
    }

    [Fact]
    public void Monotonic_microseconds_do_not_overflow_after_hours_of_uptime()
    {
        const long gigahertz = 1_000_000_000;
        Assert.Equal(1_500_000, MonotonicClock.ToMicros(1_500_000_000, gigahertz));
        var thirtyDays = 30L * 24 * 3600 * gigahertz + 123_456_789;
        Assert.Equal((30L * 24 * 3600 * 1_000_000) + 123_456, MonotonicClock.ToMicros(thirtyDays, gigahertz));
        Assert.Equal(2_000_000, MonotonicClock.ToMicros(20_000_000, 10_000_000)); // Windows' 10 MHz
        var before = TimeProvider.System.NowMicros();
        Assert.InRange(TimeProvider.System.NowMicros() - before, 0, 1_000_000);
    }
}
