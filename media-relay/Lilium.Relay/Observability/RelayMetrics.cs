using System.Globalization;
using System.Text;
using Lilium.Input;
using Lilium.Relay.Sessions;

namespace Lilium.Relay.Observability;

/// <summary>Counters the relay exposes at <c>/metrics</c> in the Prometheus text format (version 0.0.4).</summary>
internal sealed class RelayMetrics
{
    private long _packetsIn;
    private long _bytesIn;
    private long _packetsOut;
    private long _bytesOut;
    private long _nacksReceived;
    private long _retransmissions;
    private long _plisSent;
    private long _bitrateEstimatesSent;
    private long _keyframeRequestsReceived;
    private long _dropped;
    private long _sendDropped;
    private long _testDropped;
    private long _subscriberReportedLost;
    private long _dataChannelMessages;
    private long _inputReceived;
    private long _inputForwarded;
    private long _inputNoHost;
    private readonly LatencyHistogram _inputRoute = new();
    private readonly long[] _inputDenied = new long[Enum.GetValues<InputVerdict>().Length];

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

    public void Retransmitted() => Interlocked.Increment(ref _retransmissions);

    public void PliSent() => Interlocked.Increment(ref _plisSent);

    public void BitrateEstimateSent() => Interlocked.Increment(ref _bitrateEstimatesSent);

    public void KeyframeRequested() => Interlocked.Increment(ref _keyframeRequestsReceived);

    public void Dropped() => Interlocked.Increment(ref _dropped);

    public void TestDropped() => Interlocked.Increment(ref _testDropped);

    public void SubscriberLost(long delta) => Interlocked.Add(ref _subscriberReportedLost, delta);

    public void DataChannelMessage() => Interlocked.Increment(ref _dataChannelMessages);

    public void InputReceived() => Interlocked.Increment(ref _inputReceived);

    public void InputForwarded() => Interlocked.Increment(ref _inputForwarded);

    /// <summary>Time from a viewer's datagram reaching the media loop to its event leaving for the host.</summary>
    public void InputRouted(long elapsedTicks) => _inputRoute.Record(elapsedTicks);

    public void InputNoHost() => Interlocked.Increment(ref _inputNoHost);

    public void InputDenied(InputVerdict verdict) => Interlocked.Increment(ref _inputDenied[(int)verdict]);

    public long InputDeniedCount(InputVerdict verdict) => Interlocked.Read(ref _inputDenied[(int)verdict]);

    public long InputForwardedCount => Interlocked.Read(ref _inputForwarded);

    public long PlisSent => Interlocked.Read(ref _plisSent);

    public long BitrateEstimatesSent => Interlocked.Read(ref _bitrateEstimatesSent);

    public long Retransmissions => Interlocked.Read(ref _retransmissions);

    public long NacksReceived => Interlocked.Read(ref _nacksReceived);

    public long DroppedCount => Interlocked.Read(ref _dropped);

    public string Render(SessionRegistry registry)
    {
        var publisherLost = registry.Peers.SelectMany(p => p.Streams).Sum(s => s.Lost);
        var publisherReceived = registry.Peers.SelectMany(p => p.Streams).Sum(s => s.Received);
        var sb = new StringBuilder();
        Gauge(sb, "lilium_relay_sessions", "Sessions with at least one peer.", registry.SessionCount);
        Gauge(sb, "lilium_relay_peers", "WebRTC peers (publishers and subscribers).", registry.PeerCount);
        Gauge(sb, "lilium_relay_draining", "1 while the relay drains after SIGTERM.", registry.IsDraining ? 1 : 0);
        Counter(sb, "lilium_relay_packets_in_total", "UDP datagrams received.", Interlocked.Read(ref _packetsIn));
        Counter(sb, "lilium_relay_bytes_in_total", "UDP bytes received.", Interlocked.Read(ref _bytesIn));
        Counter(sb, "lilium_relay_packets_out_total", "UDP datagrams sent.", Interlocked.Read(ref _packetsOut));
        Counter(sb, "lilium_relay_bytes_out_total", "UDP bytes sent.", Interlocked.Read(ref _bytesOut));
        Counter(sb, "lilium_relay_nacked_packets_total", "Sequence numbers subscribers reported lost in generic NACKs.", NacksReceived);
        Counter(sb, "lilium_relay_retransmissions_total", "Packets resent from the NACK cache.", Retransmissions);
        Counter(sb, "lilium_relay_plis_sent_total", "Keyframe requests (PLI) sent to publishers.", PlisSent);
        Counter(sb, "lilium_relay_remb_sent_total", "Bandwidth estimates (REMB) sent to publishers.", BitrateEstimatesSent);
        Counter(sb, "lilium_relay_keyframe_requests_received_total", "PLI/FIR received from subscribers.", Interlocked.Read(ref _keyframeRequestsReceived));
        Counter(sb, "lilium_relay_dropped_total", "Datagrams dropped: unknown sender, failed authentication, malformed.", DroppedCount);
        Counter(sb, "lilium_relay_send_dropped_total", "Datagrams the kernel refused to send (full send buffer, queued ICMP error).", SendDroppedCount);
        Counter(sb, "lilium_relay_test_dropped_total", "Packets dropped by the test-only send-loss option.", Interlocked.Read(ref _testDropped));
        Gauge(sb, "lilium_relay_publisher_packets_lost", "Publisher packets missing by sequence gaps (current peers).", publisherLost);
        Gauge(sb, "lilium_relay_publisher_loss_ratio", "Publisher loss ratio (current peers).",
            publisherReceived + publisherLost == 0 ? 0 : (double)publisherLost / (publisherReceived + publisherLost));
        Counter(sb, "lilium_relay_subscriber_reported_lost_total", "Cumulative loss subscribers reported in receiver reports.", Interlocked.Read(ref _subscriberReportedLost));
        Counter(sb, "lilium_relay_datachannel_messages_in_total", "Data-channel messages received from peers.", Interlocked.Read(ref _dataChannelMessages));
        Counter(sb, "lilium_relay_input_events_received_total", "Input events received on viewers' input channels.", Interlocked.Read(ref _inputReceived));
        Counter(sb, "lilium_relay_input_events_forwarded_total", "Input events forwarded to hosts (including releases on revoke).", InputForwardedCount);
        Counter(sb, "lilium_relay_input_events_no_host_total", "Allowed input events with no host input channel to take them.", Interlocked.Read(ref _inputNoHost));
        _inputRoute.Render(sb, "lilium_relay_input_route_seconds", "Relay-added latency of forwarded input: viewer datagram in to host record out.");
        const string denied = "lilium_relay_input_events_denied_total";
        sb.Append("# HELP ").Append(denied).Append(" Input events the relay refused, by reason.\n# TYPE ").Append(denied).Append(" counter\n");
        foreach (var verdict in Enum.GetValues<InputVerdict>().Where(v => v != InputVerdict.Allowed))
        {
            sb.Append(denied).Append("{reason=\"").Append(ReasonLabel(verdict)).Append("\"} ")
              .Append(InputDeniedCount(verdict).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return sb.ToString();
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

    private static void Gauge(StringBuilder sb, string name, string help, double value) => Write(sb, name, help, "gauge", value);

    private static void Counter(StringBuilder sb, string name, string help, double value) => Write(sb, name, help, "counter", value);

    private static void Write(StringBuilder sb, string name, string help, string type, double value) =>
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
          .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n')
          .Append(name).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
}
