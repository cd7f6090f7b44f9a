using System.Buffers.Binary;
using Lilium.Relay.Observability;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;

namespace Lilium.Relay.Media;

/// <summary>
/// Transport-wide congestion control in the relay (draft-holmer-rmcat-transport-wide-cc-extensions-01), both ways:
/// <list type="bullet">
/// <item><b>Toward publishers</b>: each publisher packet carrying the negotiated transport-wide sequence number is
/// recorded (<see cref="TransportCcRecorder"/>, a ring, no allocation) and, once <see cref="FeedbackInterval"/> has passed
/// since the last feedback, the next packet from that publisher triggers a transport feedback (RTCP 205/15, SRTCP) on
/// the media loop — so feedback goes out every 50 ms while packets arrive and stops when they stop. The publisher's own
/// send-side estimator (Chromium's GCC, the SDK's) uses it; the REMB stays a cap.</item>
/// <item><b>Toward subscribers</b>: each packet forwarded to a subscriber that negotiated the extension gets the
/// subscriber's own transport-wide sequence number (written by <see cref="RtpRewriter"/>), recorded with send time and
/// size in its <see cref="SendSideBandwidthEstimator"/>; the subscriber's feedback drives that estimator, whose
/// estimate joins the loss-based one in the REMB toward the publisher.</item>
/// </list>
/// Media loop only, except <see cref="SubscriberEstimate.ConstraintBps"/> (the housekeeping thread's REMB).
/// </summary>
internal sealed class TransportCc(IPacketSender sender, RelayMetrics metrics, TimeProvider time, SubscriberProbing probing)
{
    /// <summary>How often feedback goes to a publisher while its packets arrive (libwebrtc's receive side: 50–250 ms).</summary>
    public static readonly TimeSpan FeedbackInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>One feedback packet's room: well inside a datagram, plus the SRTCP trailer.</summary>
    private readonly byte[] _feedback = new byte[1200 + 20];

    private readonly TransportCcFeedback _parsed = new(); // reused: parsing allocates nothing once grown

    /// <summary>Microseconds on the relay's monotonic clock.</summary>
    public long NowMicros() => time.NowMicros();

    /// <summary>A publisher's RTP packet (plain): records its transport-wide sequence number; sends feedback when due.</summary>
    public void OnPublisherPacket(MediaPeer publisher, PublisherStream stream, ReadOnlySpan<byte> packet, in RtpHeader header)
    {
        if (publisher.Feedback is not { } feedback || stream.Media.TransportCcExtensionId is not { } id
            || !RtpExtensions.TryGetTransportSequence(packet, header, (byte)id, out var sequence))
        {
            return;
        }

        var now = NowMicros();
        feedback.Recorder.OnPacket(sequence, now);
        if (feedback.Recorder.IsFeedbackDue(now))
        {
            if (stream.Ssrc != 0)
            {
                feedback.Recorder.MediaSsrc = stream.Ssrc;
            }

            SendFeedback(publisher, feedback.Recorder, now);
        }
    }

    private void SendFeedback(MediaPeer publisher, TransportCcRecorder recorder, long now)
    {
        var buffer = _feedback.AsSpan();
        for (var i = 0; i < 4 && recorder.TryWriteFeedback(buffer[..^20], now, out var length); i++)
        {
            if (publisher.Path is not { } path || !SfuForwarder.TryProtectRtcp(publisher, buffer, ref length))
            {
                return;
            }

            metrics.TransportFeedbackSent();
            sender.Send(path, buffer[..length]);
        }
    }

    /// <summary>
    /// After <see cref="RtpRewriter"/> wrote a packet with a transport-wide sequence element at
    /// <paramref name="sequenceAt"/> (−1: none): numbers it from the subscriber's send history.
    /// </summary>
    public void Stamp(MediaPeer subscriber, Span<byte> packet, int length, int sequenceAt)
    {
        if (sequenceAt >= 0 && subscriber.Estimate is { } estimate)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet[sequenceAt..], estimate.Estimator.OnPacketSent(length, NowMicros()));
        }
    }

    /// <summary>The subscriber's transport-wide extension id for the rewrite (0: none negotiated).</summary>
    public static int ExtensionIdFor(MediaPeer subscriber, SubscriberTrack track) =>
        subscriber.Estimate is not null ? track.TransportCcExtensionId : 0;

    /// <summary>A transport feedback packet (one RTCP packet) from a subscriber: into its estimator.</summary>
    public void OnSubscriberFeedback(MediaPeer subscriber, ReadOnlySpan<byte> packet)
    {
        if (subscriber.Estimate is not { } estimate || !_parsed.TryParse(packet))
        {
            return;
        }

        metrics.TransportFeedbackReceived();
        var now = NowMicros();
        estimate.OnFeedback(_parsed, now);
        probing.OnFeedback(subscriber, now); // a probe, if the estimate wants one (after a decrease)
    }
}

/// <summary>A publisher's transport-wide CC receive side: the recorder of its packets' arrivals.</summary>
internal sealed class PublisherFeedback(uint relaySsrc)
{
    public TransportCcRecorder Recorder { get; } = new(relaySsrc, 0) { Interval = TransportCc.FeedbackInterval };
}

/// <summary>
/// A subscriber's send-side estimate: a <see cref="SendSideBandwidthEstimator"/> that starts at the maximum (so a
/// subscriber constrains nothing until its feedback shows congestion — delay growing or packets lost — exactly as the
/// loss-based estimate starts unconstrained), never goes below <see cref="LossBasedEstimate.FloorBps"/>, and probes
/// only to climb back after a decrease (<see cref="Prober"/>, no start-up probes). Fed on the media loop; <see cref="ConstraintBps"/> is published for the
/// housekeeping thread.
/// </summary>
internal sealed class SubscriberEstimate
{
    private long _constraint = (long)LossBasedEstimate.UnconstrainedBps;

    public SendSideBandwidthEstimator Estimator { get; } = new(new BandwidthEstimatorOptions
    {
        StartBps = LossBasedEstimate.UnconstrainedBps,
        MaxBps = LossBasedEstimate.UnconstrainedBps,
        MinBps = LossBasedEstimate.FloorBps,
        Probing = true,
        InitialProbes = false,
    }, (ushort)Random.Shared.Next(0, 0x10000));

    private SubscriberProber? _prober;

    /// <summary>When and how fast this subscriber is probed (<see cref="SubscriberProbing"/> sends the padding).</summary>
    public SubscriberProber Prober => _prober ??= new SubscriberProber(Estimator);

    /// <summary>The estimate as a REMB constraint (bits/s); <see cref="LossBasedEstimate.UnconstrainedBps"/> while uncongested.</summary>
    public ulong ConstraintBps => (ulong)Volatile.Read(ref _constraint);

    /// <summary>True once the subscriber's first transport feedback came in (a peer may negotiate the extension and never send any).</summary>
    public bool HasFeedback => Volatile.Read(ref _hasFeedback);

    private bool _hasFeedback;

    public void OnFeedback(TransportCcFeedback feedback, long nowMicros)
    {
        Estimator.OnTransportFeedback(feedback, nowMicros);
        Volatile.Write(ref _constraint, (long)Math.Min(Estimator.TargetBps, LossBasedEstimate.UnconstrainedBps));
        Volatile.Write(ref _hasFeedback, true);
    }
}
