using Lilium.Relay.Observability;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtp;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Media;

/// <summary>
/// Bandwidth probes toward subscribers, so that a subscriber's estimate climbs back after a decrease as soon as its path
/// has room again, not only as fast as the publisher's own rate grows (one stream for all viewers: that rate follows the
/// REMB, which follows the lowest estimate). After each transport feedback from a subscriber (the media loop) its
/// <see cref="SubscriberProber"/> is asked whether a probe is due; a cluster is then sent as padding-only RTP packets
/// (RFC 3550 §5.1: P bit, 255 octets of padding) paced at the cluster's rate by a 5 ms tick that runs only while a
/// cluster is being sent. Each packet is numbered with the subscriber's transport-wide sequence and the cluster's id,
/// so the feedback measures it.
/// <para>
/// Where the padding goes: on the subscriber's RTX stream (RFC 4588; <see cref="RtxStream.WritePadding"/>), as libwebrtc
/// probes: its own SSRC and numbering, so the media track's sequence numbers and frames are untouched and a probe need
/// not wait for a gap between frames; a receiver does not NACK the RTX stream. A subscriber that did not negotiate RTX
/// (the SDK viewer) is not probed — padding on its media SSRC would shift the track's numbering under simulcast layer
/// switches and NACK answers.
/// </para>
/// Bounded: one cluster per subscriber at a time, at most <see cref="SubscriberProber.MaxPacketsPerCluster"/> packets,
/// no faster than 1.5× <see cref="RelayOptions.ProbeCeilingBps"/>, none while the estimate is at or above the ceiling.
/// Media loop only, except the pacing thread, which enters it.
/// <para>
/// The tick is a thread of its own (<c>relay-pacer</c>, started with the first probe), not a timer: a timer's callback
/// waits for a thread-pool worker, and a starved pool stretches a 15 ms cluster into one that measures far below its
/// rate — an estimate that then stays low (seen under a busy loop on one of two cores, in a process whose pool a test
/// host also holds). libwebrtc's pacer has a thread of its own for the same reason.
/// </para>
/// </summary>
internal sealed class SubscriberProbing(IPacketSender sender, IMediaLoop loop, RelayMetrics metrics, IOptions<RelayOptions> options, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan PumpInterval = TimeSpan.FromMilliseconds(5);

    private readonly bool _enabled = options.Value.Probing;
    private readonly double _ceilingBps = options.Value.ProbeCeilingBps;
    private readonly List<MediaPeer> _active = [];
    private readonly ManualResetEventSlim _pacing = new(false); // set while a cluster or a trial is in flight
    private Action? _pumpAll;
    private Thread? _pacer;
    private volatile bool _disposed;

    /// <summary>
    /// After a subscriber's transport feedback went into its estimator: ends an up-switch trial whose padding queues
    /// (<see cref="SimulcastLayers.EndTrialOnQueue"/>); starts a probe if one is due (no higher than its simulcast track
    /// needs, <see cref="SubscriberTrack.ProbeCeilingBps"/>), or a trial's padding.
    /// </summary>
    public void OnFeedback(MediaPeer subscriber, long nowMicros)
    {
        if (subscriber.Estimate is not { } estimate || VideoTrack(subscriber) is not { } track)
        {
            return;
        }

        if (SimulcastLayers.EndTrialOnQueue(track, estimate.Estimator, Environment.TickCount64))
        {
            metrics.TrialStoppedByQueue();
        }

        if (!_enabled)
        {
            return;
        }

        var prober = estimate.Prober;
        if (!prober.Active && prober.TryStart(nowMicros, track.ProbeCeilingBps > 0 ? Math.Min(_ceilingBps, track.ProbeCeilingBps) : _ceilingBps))
        {
            metrics.ProbeStarted();
        }
        else if (!prober.Active && !TopsUp(subscriber, track))
        {
            return;
        }

        if (!_active.Contains(subscriber))
        {
            _active.Add(subscriber);
        }

        Pump(subscriber, track, prober, nowMicros);
        if (!_pacing.IsSet && !_disposed)
        {
            _pumpAll ??= PumpAll;
            _pacer ??= StartPacer();
            _pacing.Set();
        }
    }

    /// <summary>Sends what is due of every cluster and trial in flight (the pacing thread, on the media loop).</summary>
    public void PumpAll()
    {
        var now = time.NowMicros();
        for (var i = _active.Count - 1; i >= 0; i--)
        {
            var subscriber = _active[i];
            if (subscriber.Estimate is not { } estimate || subscriber.IsClosed || VideoTrack(subscriber) is not { } track)
            {
                _active.RemoveAt(i);
                continue;
            }

            if (!Pump(subscriber, track, estimate.Prober, now))
            {
                _active.RemoveAt(i);
            }
        }

        if (_active.Count == 0)
        {
            _pacing.Reset();
        }
    }

    /// <summary>Subscribers with a cluster or a trial in flight (tests).</summary>
    public int ActiveCount => _active.Count;

    /// <summary>A trial's padding is wanted while the trial lasts and the estimate still clears its rate (it stops at the feedback that says otherwise, not at the next layer choice).</summary>
    private static bool TopsUp(MediaPeer subscriber, SubscriberTrack track) =>
        track.TrialPaddingBps > 0 && SimulcastLayers.EstimateBps(subscriber) >= track.Layers.TrialBps;

    /// <summary>Sends what is due now: the probe cluster's packets, else the trial's padding. False when neither is left.</summary>
    private bool Pump(MediaPeer subscriber, SubscriberTrack track, SubscriberProber prober, long nowMicros)
    {
        if (prober.Active)
        {
            prober.TopUpDue(nowMicros, 0, 0); // a cluster replaces the top-up while it lasts
            Send(subscriber, track, prober, prober.Due(nowMicros, SubscriberProber.PaddingPacketBytes), cluster: true, nowMicros);
            return true;
        }

        var topUp = TopsUp(subscriber, track);
        var due = prober.TopUpDue(nowMicros, topUp ? track.TrialPaddingBps : 0, SubscriberProber.PaddingPacketBytes);
        Send(subscriber, track, prober, due, cluster: false, nowMicros);
        return topUp;
    }

    private void Send(MediaPeer subscriber, SubscriberTrack track, SubscriberProber prober, int due, bool cluster, long nowMicros)
    {
        if (due == 0 || track.Rtx is not { } rtx || subscriber.Path is not { } path)
        {
            return;
        }

        for (var i = 0; i < due; i++)
        {
            if (!TryWritePadding(subscriber, track, rtx, prober, cluster, nowMicros, path))
            {
                return;
            }

            if (cluster)
            {
                metrics.ProbePacketSent();
            }
            else
            {
                metrics.TrialPaddingSent();
            }
        }
    }

    private static SubscriberTrack? VideoTrack(MediaPeer subscriber)
    {
        foreach (var track in subscriber.Tracks)
        {
            if (track.Kind == "video" && track.TransportCcExtensionId != 0 && track.Rtx is not null)
            {
                return track;
            }
        }

        return null;
    }

    private bool TryWritePadding(MediaPeer subscriber, SubscriberTrack track, RtxStream rtx, SubscriberProber prober, bool cluster, long nowMicros, PeerPath path)
    {
        if (subscriber.Estimate is null)
        {
            return false;
        }

        var output = sender.Reserve();
        var transportSequence = cluster
            ? prober.OnSent(SubscriberProber.PaddingPacketBytes, nowMicros)
            : prober.OnTopUpSent(SubscriberProber.PaddingPacketBytes, nowMicros);
        var length = rtx.WritePadding(output, SubscriberProber.PaddingPacketBytes, track.LastTimestamp, (byte)track.TransportCcExtensionId, transportSequence);
        lock (subscriber.SendLock)
        {
            if (subscriber.Outbound is not { } outbound || subscriber.IsClosed || !outbound.TryProtectRtp(output, length, out length))
            {
                return false;
            }
        }

        sender.Commit(subscriber, path, length);
        return true;
    }

    private Thread StartPacer()
    {
        var thread = new Thread(Pace) { IsBackground = true, Name = "relay-pacer" };
        thread.Start();
        return thread;
    }

    // Sleeps while nothing is in flight; otherwise enters the media loop every PumpInterval.
    private void Pace()
    {
        while (!_disposed)
        {
            _pacing.Wait();
            if (_disposed)
            {
                return;
            }

            Thread.Sleep(PumpInterval);
            if (_pacing.IsSet && !_disposed)
            {
                loop.Invoke(_pumpAll!);
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _pacing.Set();
        _pacer?.Join();
        _pacing.Dispose();
    }
}
