using System.Text;
using Lilium.Input;
using Lilium.Relay.Sessions;
using Prometheus;

namespace Lilium.Relay.Observability;

/// <summary>
/// The relay's metrics, exposed at <c>/metrics</c> through prometheus-net (docs/observability.md). The media loop counts
/// into plain fields with <see cref="Interlocked"/> (one atomic add per packet, as before the library); a scrape copies
/// them into the library's counters (<see cref="Counter.IncTo"/>). Each instance has its own registry, so relays in one
/// process (tests) do not share numbers.
/// </summary>
internal sealed class RelayMetrics
{
    private readonly CollectorRegistry _prometheus = Metrics.NewCustomRegistry();
    private readonly Gauge _sessions;
    private readonly Gauge _peers;
    private readonly Gauge _draining;
    private readonly Gauge _publisherLost;
    private readonly Gauge _publisherLossRatio;
    private readonly Gauge _tcpConnections;
    private readonly Gauge _simulcastLayersReceived;
    private readonly Gauge _simulcastSubscribers;
    private readonly Histogram _inputRoute;
    private readonly (Counter Counter, Func<long> Read)[] _counters;
    private readonly Counter.Child?[] _inputDeniedByReason = new Counter.Child?[Enum.GetValues<InputVerdict>().Length];

    private long _packetsIn;
    private long _bytesIn;
    private long _packetsOut;
    private long _bytesOut;
    private long _nacksReceived;
    private long _upstreamNacked;
    private long _retransmissions;
    private long _rtxSent;
    private long _rtxReceived;
    private long _rtxRepaired;
    private long _plisSent;
    private long _bitrateEstimatesSent;
    private long _fastStarts;
    private long _simulcastSwitches;
    private long _keyframeRequestsReceived;
    private long _dropped;
    private long _sendDropped;
    private long _testDropped;
    private long _subscriberReportedLost;
    private long _dataChannelMessages;
    private long _inputReceived;
    private long _inputForwarded;
    private long _inputNoHost;
    private long _tcpOpen;
    private long _tcpRejected;
    private long _transportFeedbackSent;
    private long _transportFeedbackReceived;
    private long _probeClusters;
    private long _probePackets;
    private long _trialPaddingPackets;
    private long _trialsStoppedByQueue;
    private readonly long[] _inputDenied = new long[Enum.GetValues<InputVerdict>().Length];

    public RelayMetrics(SessionRegistry registry)
    {
        // Scrape time: the library's collectors catch up with the plain counters and the session registry.
        _prometheus.AddBeforeCollectCallback(() => Sync(registry));
        var factory = Metrics.WithCustomRegistry(_prometheus);
        _sessions = factory.CreateGauge("lilium_relay_sessions", "Sessions with at least one peer.");
        _peers = factory.CreateGauge("lilium_relay_peers", "WebRTC peers (publishers and subscribers).");
        _draining = factory.CreateGauge("lilium_relay_draining", "1 while the relay drains after SIGTERM.");
        _counters =
        [
            (factory.CreateCounter("lilium_relay_packets_in_total", "UDP datagrams and ICE-TCP frames received."), () => Interlocked.Read(ref _packetsIn)),
            (factory.CreateCounter("lilium_relay_bytes_in_total", "UDP and ICE-TCP payload bytes received."), () => Interlocked.Read(ref _bytesIn)),
            (factory.CreateCounter("lilium_relay_packets_out_total", "UDP datagrams and ICE-TCP frames sent."), () => Interlocked.Read(ref _packetsOut)),
            (factory.CreateCounter("lilium_relay_bytes_out_total", "UDP and ICE-TCP payload bytes sent."), () => Interlocked.Read(ref _bytesOut)),
            (factory.CreateCounter("lilium_relay_nacked_packets_total", "Sequence numbers subscribers reported lost in generic NACKs."), () => NacksReceived),
            (factory.CreateCounter("lilium_relay_retransmissions_total", "Packets resent from the NACK cache."), () => Retransmissions),
            (factory.CreateCounter("lilium_relay_rtx_sent_total", "Of the resent packets, those sent as RTX (RFC 4588) to viewers that negotiated it."), () => RtxSent),
            (factory.CreateCounter("lilium_relay_upstream_nacked_packets_total", "Sequence numbers the relay asked publishers to resend (generic NACK) for what it lost on the way in."), () => UpstreamNacked),
            (factory.CreateCounter("lilium_relay_rtx_received_total", "RTX packets from publishers (retransmissions and padding)."), () => RtxReceivedCount),
            (factory.CreateCounter("lilium_relay_rtx_repaired_total", "Publisher RTX packets that filled a gap and were forwarded (the rest were duplicates or padding)."), () => RtxRepairedCount),
            (factory.CreateCounter("lilium_relay_plis_sent_total", "Keyframe requests (PLI) sent to publishers."), () => PlisSent),
            (factory.CreateCounter("lilium_relay_fast_starts_total", "Viewer video tracks started from the cached keyframe run (no PLI)."), () => FastStarts),
            (factory.CreateCounter("lilium_relay_simulcast_switches_total", "Subscriber video tracks switched to another simulcast layer (at its keyframe)."), () => SimulcastSwitches),
            (factory.CreateCounter("lilium_relay_remb_sent_total", "Bandwidth estimates (REMB) sent to publishers."), () => BitrateEstimatesSent),
            (factory.CreateCounter("lilium_relay_twcc_feedback_sent_total", "Transport-wide CC feedback packets sent to publishers."), () => TransportFeedbacksSent),
            (factory.CreateCounter("lilium_relay_twcc_feedback_received_total", "Transport-wide CC feedback packets from subscribers fed to their estimators."), () => TransportFeedbacksReceived),
            (factory.CreateCounter("lilium_relay_probe_clusters_total", "Bandwidth probes started toward subscribers (clusters of padding packets)."), () => ProbeClusters),
            (factory.CreateCounter("lilium_relay_probe_packets_total", "Padding-only RTP packets sent to subscribers as bandwidth probes."), () => ProbePackets),
            (factory.CreateCounter("lilium_relay_trial_padding_packets_total", "Padding-only RTP packets sent to subscribers while trying a higher simulcast layer."), () => TrialPaddingPackets),
            (factory.CreateCounter("lilium_relay_trials_stopped_by_queue_total", "Simulcast up-switch trials ended early because a subscriber's transport feedback showed a queue."), () => TrialsStoppedByQueue),
            (factory.CreateCounter("lilium_relay_keyframe_requests_received_total", "PLI/FIR received from subscribers."), () => Interlocked.Read(ref _keyframeRequestsReceived)),
            (factory.CreateCounter("lilium_relay_dropped_total", "Datagrams dropped: unknown sender, failed authentication, malformed."), () => DroppedCount),
            (factory.CreateCounter("lilium_relay_send_dropped_total", "Datagrams the kernel refused to send (full send buffer, queued ICMP error)."), () => SendDroppedCount),
            (factory.CreateCounter("lilium_relay_test_dropped_total", "Packets dropped by the test-only send impairment (composed by tests only)."), () => Interlocked.Read(ref _testDropped)),
            (factory.CreateCounter("lilium_relay_subscriber_reported_lost_total", "Cumulative loss subscribers reported in receiver reports."), () => Interlocked.Read(ref _subscriberReportedLost)),
            (factory.CreateCounter("lilium_relay_datachannel_messages_in_total", "Data-channel messages received from peers."), () => Interlocked.Read(ref _dataChannelMessages)),
            (factory.CreateCounter("lilium_relay_input_events_received_total", "Input events received on viewers' input channels."), () => Interlocked.Read(ref _inputReceived)),
            (factory.CreateCounter("lilium_relay_input_events_forwarded_total", "Input events forwarded to hosts (including releases on revoke)."), () => InputForwardedCount),
            (factory.CreateCounter("lilium_relay_ice_tcp_rejected_total", "ICE-TCP connections closed at accept: over the per-address or total cap."), () => Interlocked.Read(ref _tcpRejected)),
            (factory.CreateCounter("lilium_relay_input_events_no_host_total", "Allowed input events with no host input channel to take them."), () => Interlocked.Read(ref _inputNoHost)),
        ];
        _publisherLost = factory.CreateGauge("lilium_relay_publisher_packets_lost", "Publisher packets missing by sequence gaps (current peers).");
        _tcpConnections = factory.CreateGauge("lilium_relay_ice_tcp_connections", "Open ICE-TCP connections (viewers on networks that block UDP).");
        _simulcastLayersReceived = factory.CreateGauge("lilium_relay_simulcast_layers_received", "Publisher simulcast layers (RIDs) that have sent packets (current peers).");
        _simulcastSubscribers = factory.CreateGauge("lilium_relay_simulcast_layer_subscribers", "Subscriber video tracks currently sent each simulcast layer (0 = lowest).", "layer");
        _publisherLossRatio = factory.CreateGauge("lilium_relay_publisher_loss_ratio", "Publisher loss ratio (current peers).");

        // 64 exponential buckets, ×1.25 from 1 µs to 1.27 s (as before the library): fine enough to read a p99 from bucket deltas (bench/input).
        _inputRoute = factory.CreateHistogram("lilium_relay_input_route_seconds",
            "Relay-added latency of forwarded input: viewer datagram in to host record out.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1e-6, 1.25, 64) });
        var denied = factory.CreateCounter("lilium_relay_input_events_denied_total", "Input events the relay refused, by reason.", "reason");
        foreach (var verdict in Enum.GetValues<InputVerdict>().Where(v => v != InputVerdict.Allowed))
        {
            _inputDeniedByReason[(int)verdict] = denied.WithLabels(ReasonLabel(verdict));
        }
    }

    public void In(int bytes)
    {
        Interlocked.Increment(ref _packetsIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    public void Out(int bytes)
    {
        Interlocked.Increment(ref _packetsOut);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    /// <summary>One batch of the media loop's fan-out (sendmmsg): what the kernel took and what it refused.</summary>
    public void Out(Media.BatchResult batch)
    {
        Interlocked.Add(ref _packetsOut, batch.Sent);
        Interlocked.Add(ref _bytesOut, batch.Bytes);
        Interlocked.Add(ref _sendDropped, batch.Dropped);
    }

    public long SendDroppedCount => Interlocked.Read(ref _sendDropped);

    public void Nack(int lost) => Interlocked.Add(ref _nacksReceived, lost);

    public void UpstreamNack(int requested) => Interlocked.Add(ref _upstreamNacked, requested);

    /// <summary>An ICE-TCP connection was accepted (+1) or went away (−1).</summary>
    public void TcpConnections(int delta) => Interlocked.Add(ref _tcpOpen, delta);

    public void TcpRejected() => Interlocked.Increment(ref _tcpRejected);

    public void Retransmitted() => Interlocked.Increment(ref _retransmissions);

    public void RtxSentOne() => Interlocked.Increment(ref _rtxSent);

    /// <summary>A publisher's RTX packet arrived; <paramref name="repaired"/>: it filled a gap and was forwarded.</summary>
    public void RtxReceived(bool repaired)
    {
        Interlocked.Increment(ref _rtxReceived);
        if (repaired)
        {
            Interlocked.Increment(ref _rtxRepaired);
        }
    }

    public void PliSent() => Interlocked.Increment(ref _plisSent);

    public void BitrateEstimateSent() => Interlocked.Increment(ref _bitrateEstimatesSent);

    public void FastStarted() => Interlocked.Increment(ref _fastStarts);

    public void SimulcastSwitched() => Interlocked.Increment(ref _simulcastSwitches);

    public long SimulcastSwitches => Interlocked.Read(ref _simulcastSwitches);

    public long FastStarts => Interlocked.Read(ref _fastStarts);

    public long TransportFeedbacksSent => Interlocked.Read(ref _transportFeedbackSent);

    public long TransportFeedbacksReceived => Interlocked.Read(ref _transportFeedbackReceived);

    public void TransportFeedbackSent() => Interlocked.Increment(ref _transportFeedbackSent);

    public void TransportFeedbackReceived() => Interlocked.Increment(ref _transportFeedbackReceived);

    public void ProbeStarted() => Interlocked.Increment(ref _probeClusters);

    public void ProbePacketSent() => Interlocked.Increment(ref _probePackets);

    public long ProbeClusters => Interlocked.Read(ref _probeClusters);

    public long ProbePackets => Interlocked.Read(ref _probePackets);

    public void TrialPaddingSent() => Interlocked.Increment(ref _trialPaddingPackets);

    public long TrialPaddingPackets => Interlocked.Read(ref _trialPaddingPackets);

    public void TrialStoppedByQueue() => Interlocked.Increment(ref _trialsStoppedByQueue);

    public long TrialsStoppedByQueue => Interlocked.Read(ref _trialsStoppedByQueue);

    public void KeyframeRequested() => Interlocked.Increment(ref _keyframeRequestsReceived);

    public void Dropped() => Interlocked.Increment(ref _dropped);

    public void TestDropped() => Interlocked.Increment(ref _testDropped);

    public void SubscriberLost(long delta) => Interlocked.Add(ref _subscriberReportedLost, delta);

    public void DataChannelMessage() => Interlocked.Increment(ref _dataChannelMessages);

    public void InputReceived() => Interlocked.Increment(ref _inputReceived);

    public void InputForwarded() => Interlocked.Increment(ref _inputForwarded);

    /// <summary>Time from a viewer's datagram reaching the media loop to its event leaving for the host.</summary>
    /// <remarks>Per forwarded input event (a person's keystroke or mouse move, not per media packet): the library's histogram directly.</remarks>
    public void InputRouted(long elapsedTicks) => _inputRoute.Observe(elapsedTicks / (double)System.Diagnostics.Stopwatch.Frequency);

    public void InputNoHost() => Interlocked.Increment(ref _inputNoHost);

    public void InputDenied(InputVerdict verdict) => Interlocked.Increment(ref _inputDenied[(int)verdict]);

    public long InputDeniedCount(InputVerdict verdict) => Interlocked.Read(ref _inputDenied[(int)verdict]);

    public long InputForwardedCount => Interlocked.Read(ref _inputForwarded);

    public long PlisSent => Interlocked.Read(ref _plisSent);

    /// <summary>PLI/FIR received from subscribers (each may be passed on to the publisher, throttled).</summary>
    public long KeyframeRequestsReceived => Interlocked.Read(ref _keyframeRequestsReceived);

    public long BitrateEstimatesSent => Interlocked.Read(ref _bitrateEstimatesSent);

    public long Retransmissions => Interlocked.Read(ref _retransmissions);

    public long RtxSent => Interlocked.Read(ref _rtxSent);

    public long RtxReceivedCount => Interlocked.Read(ref _rtxReceived);

    public long RtxRepairedCount => Interlocked.Read(ref _rtxRepaired);

    public long NacksReceived => Interlocked.Read(ref _nacksReceived);

    public long UpstreamNacked => Interlocked.Read(ref _upstreamNacked);

    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Writes the Prometheus text exposition (version 0.0.4) of every metric to <paramref name="destination"/>. The
    /// registry's before-collect callback first brings the library's collectors up to date from the plain counters
    /// above and from the session registry: the media loop never calls into the library.
    /// </summary>
    public Task ExportAsync(Stream destination, CancellationToken cancellationToken) =>
        _prometheus.CollectAndExportAsTextAsync(destination, cancellationToken);

    /// <summary>The exposition as a string (tests and load-run logs).</summary>
    public async Task<string> RenderAsync(CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await ExportAsync(buffer, cancellationToken);
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private void Sync(SessionRegistry registry)
    {
        long publisherLost = 0, publisherReceived = 0;
        foreach (var stream in registry.Peers.SelectMany(p => p.Streams))
        {
            publisherLost += stream.Lost;
            publisherReceived += stream.Received;
        }

        var layersReceived = 0;
        Span<int> onLayer = stackalloc int[Lilium.WebRtc.Sdp.SdpAnswerBuilder.MaxSimulcastLayers];
        foreach (var peer in registry.Peers)
        {
            foreach (var stream in peer.Streams)
            {
                layersReceived += stream.Simulcast is not null && stream.Received > 0 ? 1 : 0;
            }

            foreach (var track in peer.Tracks)
            {
                if (track.CurrentLayer is var layer and >= 0 && layer < onLayer.Length)
                {
                    onLayer[layer]++;
                }
            }
        }

        _simulcastLayersReceived.Set(layersReceived);
        for (var i = 0; i < onLayer.Length; i++)
        {
            _simulcastSubscribers.WithLabels(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(onLayer[i]);
        }

        _sessions.Set(registry.SessionCount);
        _peers.Set(registry.PeerCount);
        _draining.Set(registry.IsDraining ? 1 : 0);
        _publisherLost.Set(publisherLost);
        _tcpConnections.Set(Interlocked.Read(ref _tcpOpen));
        _publisherLossRatio.Set(publisherReceived + publisherLost == 0 ? 0 : (double)publisherLost / (publisherReceived + publisherLost));
        foreach (var (counter, read) in _counters)
        {
            counter.IncTo(read());
        }

        foreach (var verdict in Enum.GetValues<InputVerdict>())
        {
            if (verdict != InputVerdict.Allowed)
            {
                _inputDeniedByReason[(int)verdict]!.IncTo(InputDeniedCount(verdict));
            }
        }
    }

    /// <summary>snake_case of the verdict: <c>NoKeyboardGrant</c> → <c>no_keyboard_grant</c>.</summary>
    public static string ReasonLabel(InputVerdict verdict)
    {
        var name = verdict.ToString();
        var sb = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && sb.Length > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }
}
