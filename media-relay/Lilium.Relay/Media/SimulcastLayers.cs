using Lilium.Relay.Observability;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Media;

/// <summary>
/// The forwarder's simulcast decisions for one subscriber video track (docs/relay.md, "Simulcast"): which layer's packets
/// the track wants — its <see cref="LayerSelector"/> target, and the layer it is on until the target's keyframe arrives —
/// re-choosing the target at most every <see cref="SelectIntervalMs"/> from the subscriber's estimate (the lowest of its
/// loss-based constraint, its transport-wide estimate and its <see cref="MediaPeer.LayerCapBps"/>) and the layers'
/// measured rates. The switch itself is the forwarder's ordinary bind at a keyframe (<see cref="SubscriberTrack.Bind"/>:
/// same SSRC, the next sequence number, a continuous timestamp); a target that is not yet the source gets a PLI on its
/// own SSRC from the forwarder's waiting-track path. Media loop only.
/// </summary>
internal sealed class SimulcastLayers
{
    /// <summary>How often a track's target is re-chosen while its layers' packets arrive.</summary>
    public const long SelectIntervalMs = 100;

    /// <summary>True if <paramref name="track"/> takes this packet of <paramref name="stream"/> (a layer of <paramref name="simulcast"/>).</summary>
    public bool Wants(MediaPeer subscriber, SubscriberTrack track, PublisherStream stream, SimulcastSource simulcast, long nowMs)
    {
        if (track.Layers.Target < 0 || nowMs >= track.NextLayerSelectMs)
        {
            Span<ulong> rates = stackalloc ulong[SdpAnswerBuilder.MaxSimulcastLayers];
            var layers = rates[..Math.Min(rates.Length, simulcast.Layers.Length)];
            simulcast.Rates(layers);
            track.Layers.Select(nowMs, EstimateBps(subscriber), layers, subscriber.VideoHint.MaxLayer(simulcast, layers));
            track.NextLayerSelectMs = nowMs + SelectIntervalMs;
            Trial(track, layers, nowMs);
        }

        return stream.Layer == track.Layers.Target || (ReferenceEquals(track.Source, stream) && !track.WaitingForKeyframe);
    }

    /// <summary>How long a trial's padding takes to reach its full rate (ms): the first half of the hold.</summary>
    public const long TrialRampMs = LayerSelector.UpHoldMs / 2;

    /// <summary>
    /// What <see cref="SubscriberProbing"/> needs from the choice: padding during an up-switch trial (the trial's rate less
    /// what the current layer already sends, ramped up over <see cref="TrialRampMs"/> from a tenth: a path that cannot
    /// carry the next layer then shows a queue that grows, which the delay-based estimate catches before the bottleneck
    /// drops packets, rather than an overflow at once that costs the viewer's own layer packets), and how high a probe need look (the layer above the current one, + margin;
    /// on the top layer, the top layer's own rate + margin, which the estimate normally clears: no probes).
    /// </summary>
    private static void Trial(SubscriberTrack track, ReadOnlySpan<ulong> layers, long nowMs)
    {
        var current = track.CurrentLayer;
        var currentBps = current >= 0 && current < layers.Length ? layers[current] : 0;
        var ramp = Math.Clamp((double)(nowMs - track.Layers.TrialStartedMs) / TrialRampMs, 0.1, 1);
        track.TrialPaddingBps = track.Layers.Trial >= 0 && track.Layers.TrialBps > currentBps ? (ulong)((track.Layers.TrialBps - currentBps) * ramp) : 0;
        var above = 0UL;
        for (var i = Math.Max(0, current + 1); i < layers.Length && above == 0; i++)
        {
            above = layers[i];
        }

        track.ProbeCeilingBps = (above != 0 ? above : currentBps) * (1 + LayerSelector.UpMargin);
    }

    /// <summary>
    /// The queue (µs) a subscriber's transport feedback may show during an up-switch trial before the trial ends as failed.
    /// Well under a bottleneck buffer's usual 50–100 ms, so the padding stops while the buffer still has room: the viewer's
    /// own layer packets are delayed by what is queued, not dropped (a drop costs a retransmission or a keyframe: a freeze).
    /// </summary>
    public const long TrialQueueLimitMicros = 30_000;

    /// <summary>
    /// After a subscriber's transport feedback: a trial in progress whose padding already queues at the bottleneck
    /// (<see cref="SendSideBandwidthEstimator.QueuingDelayMicros"/> over <see cref="TrialQueueLimitMicros"/>) ends now, as
    /// failed, and its padding with it — not a few feedbacks later, when the delay-based estimate has turned the growing
    /// delay into a lower rate, by which time the buffer may have overflowed. True when it ended one.
    /// </summary>
    public static bool EndTrialOnQueue(SubscriberTrack track, SendSideBandwidthEstimator estimator, long nowMs)
    {
        if (estimator.QueuingDelayMicros <= TrialQueueLimitMicros || !track.Layers.FailTrial(nowMs)) // FailTrial: false without a trial
        {
            return false;
        }

        track.TrialPaddingBps = 0;
        return true;
    }

    /// <summary>What the subscriber can take (bits/s): its path's estimate (<see cref="MediaPeer.PathEstimateBps"/>) or its layer cap, whichever is lower.</summary>
    public static ulong EstimateBps(MediaPeer subscriber) => Math.Min(subscriber.PathEstimateBps, (ulong)Math.Max(0, subscriber.LayerCapBps));

    /// <summary>Counts a bind that moves a track from one layer of a simulcast source to another.</summary>
    public static void CountSwitch(SubscriberTrack track, PublisherStream next, RelayMetrics metrics)
    {
        if (track.Source is { Simulcast: { } current } && ReferenceEquals(current, next.Simulcast) && !ReferenceEquals(track.Source, next))
        {
            metrics.SimulcastSwitched();
        }
    }
}
