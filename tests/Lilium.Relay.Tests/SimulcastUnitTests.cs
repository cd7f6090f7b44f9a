using System.Buffers.Binary;
using Lilium.Relay.Media;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Tests;

/// <summary>The simulcast layer selector with a fake clock: fits, goes down at once, up only after the estimate holds.</summary>
[Trait("Category", "Unit")]
public sealed class LayerSelectorTests
{
    private static readonly ulong[] Rates = [150_000, 500_000, 1_500_000];

    [Fact]
    public void The_first_choice_is_the_highest_layer_that_fits()
    {
        Assert.Equal(2, new LayerSelector().Select(0, 100_000_000, Rates));
        Assert.Equal(1, new LayerSelector().Select(0, 600_000, Rates));
        Assert.Equal(0, new LayerSelector().Select(0, 200_000, Rates));
        Assert.Equal(0, new LayerSelector().Select(0, 50_000, Rates)); // nothing fits: the lowest still beats no video
        Assert.Equal(-1, new LayerSelector().Select(0, 1_000_000, [0, 0, 0]));
    }

    [Fact]
    public void It_goes_down_at_once_when_the_estimate_falls()
    {
        var selector = new LayerSelector();
        Assert.Equal(2, selector.Select(0, 5_000_000, Rates));
        Assert.Equal(1, selector.Select(10, 1_000_000, Rates));
        Assert.Equal(0, selector.Select(20, 300_000, Rates));
    }

    [Fact]
    public void It_goes_up_only_after_the_estimate_holds_above_the_next_layer_plus_margin()
    {
        var selector = new LayerSelector();
        Assert.Equal(0, selector.Select(0, 300_000, Rates));

        // Above the medium layer's rate but not its margin: stays, however long.
        Assert.Equal(0, selector.Select(100, 560_000, Rates));
        Assert.Equal(0, selector.Select(5_000, 560_000, Rates));

        // Clears 500 k × 1.15: held for UpHoldMs, then up one layer.
        Assert.Equal(0, selector.Select(6_000, 600_000, Rates));
        Assert.Equal(0, selector.Select(6_000 + LayerSelector.UpHoldMs - 1, 600_000, Rates));
        Assert.Equal(1, selector.Select(6_000 + LayerSelector.UpHoldMs, 600_000, Rates));

        // A dip below the margin fails the trial: the next waits TrialBackoffMs, then holds again from its start.
        Assert.Equal(1, selector.Select(10_000, 2_000_000, Rates));
        Assert.Equal(2, selector.Trial);
        Assert.Equal(1, selector.Select(11_000, 1_600_000, Rates)); // fits the top layer, but not with the margin
        Assert.Equal(-1, selector.Trial);
        Assert.Equal(1, selector.FailedTrials);
        Assert.Equal(1, selector.Select(11_500, 2_000_000, Rates)); // backing off
        Assert.Equal(-1, selector.Trial);
        Assert.Equal(1, selector.Select(11_000 + LayerSelector.TrialBackoffMs, 2_000_000, Rates));
        Assert.Equal(2, selector.Trial);
        Assert.Equal(1, selector.Select(11_000 + LayerSelector.TrialBackoffMs + LayerSelector.UpHoldMs - 1, 2_000_000, Rates));
        Assert.Equal(2, selector.Select(11_000 + LayerSelector.TrialBackoffMs + LayerSelector.UpHoldMs, 2_000_000, Rates));
        Assert.Equal(0, selector.FailedTrials);
    }

    [Fact]
    public void A_trial_asks_for_the_next_layers_rate_plus_margin_and_failures_back_off_doubling()
    {
        var selector = new LayerSelector();
        Assert.Equal(0, selector.Select(0, 300_000, Rates));
        Assert.Equal(-1, selector.Trial);
        Assert.Equal(0, selector.Select(100, 2_000_000, Rates)); // clears both higher layers: the trial is for the top one
        Assert.Equal(2, selector.Trial);
        Assert.Equal(1_725_000UL, selector.TrialBps); // 1.5 M × 1.15

        long now = 100;
        for (var failure = 1; failure <= 6; failure++)
        {
            Assert.Equal(0, selector.Select(now + 500, 300_000, Rates)); // the estimate falls during the trial
            Assert.Equal(failure, selector.FailedTrials);
            var wait = Math.Min(LayerSelector.TrialBackoffMs << (failure - 1), LayerSelector.MaxTrialBackoffMs);
            Assert.Equal(0, selector.Select(now + 500 + wait - 1, 2_000_000, Rates));
            Assert.Equal(-1, selector.Trial);
            now += 500 + wait;
            Assert.Equal(0, selector.Select(now, 2_000_000, Rates));
            Assert.Equal(2, selector.Trial);
        }

        Assert.Equal(2, selector.Select(now + LayerSelector.UpHoldMs, 2_000_000, Rates));
        Assert.Equal(-1, selector.Trial);
        Assert.Equal(0UL, selector.TrialBps);
        Assert.Equal(0, selector.FailedTrials);
    }

    [Fact]
    public void A_trial_failed_from_outside_ends_at_once_and_backs_off_like_a_falling_estimate()
    {
        var selector = new LayerSelector();
        Assert.False(selector.FailTrial(0)); // nothing to fail
        Assert.Equal(0, selector.Select(0, 300_000, Rates));
        Assert.Equal(0, selector.Select(100, 2_000_000, Rates));
        Assert.Equal(2, selector.Trial);

        Assert.True(selector.FailTrial(400)); // e.g. the feedback showed a queue; the estimate has not fallen yet
        Assert.Equal((-1, 0UL, 1), (selector.Trial, selector.TrialBps, selector.FailedTrials));
        Assert.False(selector.FailTrial(450));
        Assert.Equal(0, selector.Select(400 + LayerSelector.TrialBackoffMs - 1, 2_000_000, Rates)); // backing off
        Assert.Equal(-1, selector.Trial);
        Assert.Equal(0, selector.Select(400 + LayerSelector.TrialBackoffMs, 2_000_000, Rates)); // the next trial
        Assert.Equal(2, selector.Trial);
        Assert.Equal(2, selector.Select(400 + LayerSelector.TrialBackoffMs + LayerSelector.UpHoldMs, 2_000_000, Rates));
        Assert.Equal(0, selector.FailedTrials);
    }

    [Fact]
    public void A_layer_that_stops_is_left_at_once_and_the_cap_is_honoured()
    {
        var selector = new LayerSelector();
        Assert.Equal(2, selector.Select(0, 100_000_000, Rates));
        Assert.Equal(1, selector.Select(10, 100_000_000, [150_000, 500_000, 0])); // the publisher paused its top layer
        Assert.Equal(0, selector.Select(20, 100_000_000, Rates, maxLayer: 0));
    }
}

/// <summary>A subscriber track across a simulcast switch: same SSRC, continuous sequence numbers and timestamps, NACKs resolved per source.</summary>
[Trait("Category", "Unit")]
public sealed class SubscriberTrackSwitchTests
{
    private static readonly SdpNegotiatedMedia Video = new("0", "video", new SdpRtpMap(96, "VP8", 90000, 1))
    {
        Rids = ["q", "h", "f"],
        RidExtensionId = 4,
        RepairedRidExtensionId = 5,
        LocalSsrc = 0xABCD,
    };

    [Fact]
    public async Task A_switch_continues_the_numbering_and_nacks_reach_the_layer_that_sent_each_number()
    {
        var layers = SimulcastSource.StreamsFor(Video, 0).ToArray();
        Assert.Equal(["q", "h", "f"], layers.Select(l => l.Rid));
        Assert.All(layers, l => Assert.Same(layers[0].Simulcast, l.Simulcast));
        var (low, high) = (layers[0], layers[2]);
        var track = new SubscriberTrack(Video);

        // Low layer: source seq 100..109, ts 9000 + 3000 per frame.
        track.Bind(low, 100, 9000);
        var sent = new List<(ushort Seq, uint Ts)>();
        for (ushort i = 0; i < 10; i++)
        {
            var (seq, ts) = (track.MapSequence((ushort)(100 + i)), track.MapTimestamp(9000 + (uint)(i / 2 * 3000)));
            track.Sent(seq, ts, 1000, retransmission: false);
            sent.Add((seq, ts));
        }

        Assert.Equal(0, track.CurrentLayer);
        await Task.Delay(40); // the next frame comes ~40 ms later on the wall clock

        // High layer keyframe: an unrelated sequence and timestamp space (source seq 60000, ts 4_000_000_000).
        track.Bind(high, 60000, 4_000_000_000);
        Assert.Equal(2, track.CurrentLayer);
        var firstHigh = track.MapSequence(60000);
        var firstHighTs = track.MapTimestamp(4_000_000_000);
        Assert.Equal((ushort)(sent[^1].Seq + 1), firstHigh); // no gap
        var advanced = firstHighTs - sent[^1].Ts;
        Assert.InRange(advanced, 90u * 30, 90u * 2000); // ≥ ~30 ms of 90 kHz ticks, continuous (no jump)
        Assert.Equal(0xABCDu, track.Ssrc);
        track.Sent(firstHigh, firstHighTs, 1000, retransmission: false);
        track.Sent(track.MapSequence(60001), track.MapTimestamp(4_000_000_000), 1000, retransmission: false);

        // NACKs: numbers before the switch resolve to the low layer, after it to the high one — each with its own mapping.
        Assert.True(track.TryResolve(sent[3].Seq, out var source, out var sourceSeq, out var tsOffset));
        Assert.Same(low, source);
        Assert.Equal((ushort)103, sourceSeq);
        Assert.Equal(sent[3].Ts, 9000 + 3000 + tsOffset);
        Assert.True(track.TryResolve((ushort)(firstHigh + 1), out source, out sourceSeq, out tsOffset));
        Assert.Same(high, source);
        Assert.Equal((ushort)60001, sourceSeq);
        Assert.Equal(firstHighTs, 4_000_000_000 + tsOffset);
    }

    [Fact]
    public void Packets_are_assigned_to_layers_by_their_rid_and_repairs_bind_nothing()
    {
        var layers = SimulcastSource.StreamsFor(Video, 0).ToArray();
        var simulcast = layers[0].Simulcast!;
        Assert.Same(layers[1], Learn(simulcast, 0x111, "h", repaired: false));
        Assert.Equal(0x111u, layers[1].Ssrc);
        Assert.Null(Learn(simulcast, 0x222, "h", repaired: false)); // h already has its SSRC
        Assert.Null(Learn(simulcast, 0x333, "x", repaired: false));
        Assert.Null(Learn(simulcast, 0x444, "f", repaired: true));
        Assert.Equal(0u, layers[2].Ssrc);
        Assert.Same(layers[2], Learn(simulcast, 0x555, "f", repaired: false));
    }

    [Fact]
    public void A_layers_rtx_ssrc_is_learnt_from_the_repaired_rid_and_nothing_else()
    {
        var layers = SimulcastSource.StreamsFor(Video, 0).ToArray();
        var simulcast = layers[0].Simulcast!;
        Assert.Null(LearnRepair(simulcast, 0x666, "h", repaired: false)); // a media packet's RID names no repair
        Assert.Null(LearnRepair(simulcast, 0x666, "x", repaired: true));
        Assert.Same(layers[1], LearnRepair(simulcast, 0x666, "h", repaired: true));
        Assert.Equal(0x666u, layers[1].RtxSsrc);
        Assert.Null(LearnRepair(simulcast, 0x777, "h", repaired: true)); // h's RTX SSRC is known
        Assert.Same(layers[0], LearnRepair(simulcast, 0x888, "q", repaired: true));
        Assert.Equal((0x888u, 0x666u, 0u), (layers[0].RtxSsrc, layers[1].RtxSsrc, layers[2].RtxSsrc));
    }

    private static PublisherStream? LearnRepair(SimulcastSource simulcast, uint ssrc, string rid, bool repaired)
    {
        var packet = SimulcastPackets.Build(ssrc, 1, 0, rid, repaired, payload: [0, 1, 0x10, 0], payloadType: 98);
        Assert.True(RtpHeader.TryParse(packet, out var header));
        return simulcast.LearnRepair(ssrc, packet, header);
    }

    private static PublisherStream? Learn(SimulcastSource simulcast, uint ssrc, string rid, bool repaired)
    {
        var packet = SimulcastPackets.Build(ssrc, 1, 0, rid, repaired, payload: [0x10, 0, 0, 0]);
        Assert.True(RtpHeader.TryParse(packet, out var header));
        return simulcast.Learn(ssrc, packet, header);
    }
}

/// <summary>Synthetic simulcast RTP: a one-byte extension block with the RID (id 4) or repaired RID (id 5).</summary>
internal static class SimulcastPackets
{
    public const byte RidId = 4;
    public const byte RepairedRidId = 5;

    public static byte[] Build(uint ssrc, ushort seq, uint ts, string? rid, bool repaired, ReadOnlySpan<byte> payload, bool marker = false, byte payloadType = 97)
    {
        var element = rid is null ? 0 : 1 + rid.Length;
        var words = (element + 3) / 4;
        var packet = new byte[12 + (element > 0 ? 4 + words * 4 : 0) + payload.Length];
        packet[0] = (byte)(element > 0 ? 0x90 : 0x80);
        packet[1] = (byte)(payloadType | (marker ? 0x80 : 0));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), seq);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), ts);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), ssrc);
        var at = 12;
        if (element > 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), RtpExtensions.OneByteProfile);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14), (ushort)words);
            packet[16] = (byte)(((repaired ? RepairedRidId : RidId) << 4) | (rid!.Length - 1));
            System.Text.Encoding.ASCII.GetBytes(rid, packet.AsSpan(17));
            at = 16 + words * 4;
        }

        payload.CopyTo(packet.AsSpan(at));
        return packet;
    }
}
