using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.Testing.WebRtc;
using Lilium.WebRtc;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;
using Lilium.WebRtc.Srtp;

namespace Lilium.Relay.Tests;

/// <summary>
/// Simulcast through the in-process relay with synthetic SRTP peers: a publisher sends three RID layers (≈ 0.12, 0.5 and
/// 1.3 Mbit/s, keyframes only at the start and when the relay asks for one on that layer's SSRC); a viewer's cap
/// (<c>?maxBitrate=</c>, then changed on the peer as a forced estimate) picks a layer, and every switch keeps the viewer's
/// SSRC, sequence numbers (no gap) and timestamps (continuous) and starts at the new layer's keyframe; a NACK for a number
/// sent before a switch is answered from the old layer's cache under the same number and timestamp.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SimulcastRelayTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private static readonly string[] Rids = ["q", "h", "f"];
    private static readonly uint[] Ssrcs = [0x51000001, 0x51000002, 0x51000003];
    private static readonly int[] PacketsPerFrame = [1, 2, 5];
    private static readonly int[] PacketSize = [500, 1000, 1100];

    private sealed record Received(ushort Seq, uint Ts, uint Ssrc, int Layer, bool Keyframe, long AtMs, bool Repeat = false);

    [Fact]
    public async Task A_viewers_estimate_picks_its_layer_and_switches_keep_ssrc_sequence_and_timestamps_continuous()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, TestOffers.WithSimulcast);
        var video = publisher.Answer.Media.Single(m => m.Kind == "video");
        Assert.Equal(["q", "h", "f"], video.Simulcast!.Receive.Select(e => e[0].Rid));
        Assert.Equal(3, publisher.Peer.Streams.Count(s => s.Simulcast is not null));
        var switchesBefore = relay.Metrics.SimulcastSwitches;

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var plis = new ConcurrentQueue<uint>();
        var sending = PublishAsync(publisher, plis, stop.Token);

        // A viewer asking for at most 700 kbit/s: the medium layer (0.5 Mbit/s) once the rates are measured.
        var viewer = await ConnectViewerAsync(session, "?maxBitrate=700000");
        var track = viewer.Peer.TrackFor("video")!;
        var received = new List<Received>();
        var receiving = ViewAsync(viewer, received, stop.Token);

        await WaitForLayerAsync(track, received, 1, stop.Token);
        Assert.Equal(3, publisher.Peer.Streams.Count(s => s.Simulcast is not null && s.Received > 0));
        var metrics = await relay.Metrics.RenderAsync();
        Assert.Contains("lilium_relay_simulcast_layer_subscribers{layer=\"1\"} 1", metrics, StringComparison.Ordinal);

        // The estimate lifts (forced on the peer): up to the full layer, after the selector's hold.
        var lifted = Stopwatch.StartNew();
        viewer.Peer.LayerCapBps = long.MaxValue;
        await WaitForLayerAsync(track, received, 2, stop.Token);
        output.WriteLine($"up to the full layer {lifted.ElapsedMilliseconds} ms after the estimate rose");
        Assert.True(lifted.ElapsedMilliseconds >= LayerSelector.UpHoldMs - 100, $"went up after {lifted.ElapsedMilliseconds} ms");

        // The estimate falls: down to the lowest layer at once (a keyframe's round trip).
        var fell = Stopwatch.StartNew();
        viewer.Peer.LayerCapBps = 200_000;
        await WaitForLayerAsync(track, received, 0, stop.Token);
        output.WriteLine($"down to the low layer {fell.ElapsedMilliseconds} ms after the estimate fell");
        Assert.True(fell.ElapsedMilliseconds < 1_500, $"went down after {fell.ElapsedMilliseconds} ms");
        await Task.Delay(300, stop.Token);

        // A NACK for a number the medium layer sent (before two switches): the same number, timestamp and layer come back.
        Received nacked;
        lock (received)
        {
            nacked = received.Last(r => r.Layer == 1 && !r.Keyframe);
        }

        var (nacksBefore, resentBefore) = (relay.Metrics.NacksReceived, relay.Metrics.Retransmissions);
        await SendNackAsync(viewer, track.Ssrc, nacked.Seq);
        await Task.Delay(500, stop.Token);
        await stop.CancelAsync();
        await Task.WhenAll(sending, receiving);

        List<Received> all;
        lock (received)
        {
            all = [.. received];
        }

        output.WriteLine($"NACK for {nacked.Seq}: relay counted {relay.Metrics.NacksReceived - nacksBefore} NACKed, resent {relay.Metrics.Retransmissions - resentBefore}");
        var first = all.FindIndex(r => r.Keyframe);
        var stream = all.Skip(first).ToList();
        var repeat = Assert.Single(stream, r => r.Repeat);
        Assert.Equal(nacked.Seq, repeat.Seq);
        Assert.Equal(nacked.Ts, repeat.Ts);
        Assert.Equal(track.Ssrc, repeat.Ssrc);
        Assert.Equal(1, repeat.Layer); // from the medium layer's cache, although the track is on the low layer now
        var media = stream.Where(r => !r.Repeat).ToList();

        Assert.All(media, r => Assert.Equal(track.Ssrc, r.Ssrc));
        var gaps = media.Zip(media.Skip(1)).Count(p => p.Second.Seq != (ushort)(p.First.Seq + 1));
        var switches = media.Zip(media.Skip(1)).Where(p => p.First.Layer != p.Second.Layer).ToList();
        output.WriteLine($"{media.Count} packets, {gaps} sequence gaps, switches at: "
            + string.Join("; ", switches.Select(p => $"{p.First.Layer}→{p.Second.Layer} seq {p.First.Seq}→{p.Second.Seq} ts +{p.Second.Ts - p.First.Ts}")));
        Assert.True(switches.Count >= 2, $"{switches.Count} switches");
        Assert.All(switches, p => Assert.Equal((ushort)(p.First.Seq + 1), p.Second.Seq)); // no switch leaves a hole

        // Elsewhere nothing is lost on loopback — unless a loaded machine dropped a datagram on its way in, which the
        // relay counts as the publisher's loss, or on its way to the test's socket (rare; bounded here).
        var ingressLost = publisher.Peer.Streams.Where(s => s.Simulcast is not null).Sum(s => s.Lost);
        output.WriteLine($"publisher streams lost {ingressLost} packets on the way in");
        Assert.True(gaps <= ingressLost + 2, $"{gaps} sequence gaps, {ingressLost} lost on the way in");
        Assert.Contains(switches, p => p.First.Layer == 1 && p.Second.Layer == 2);
        Assert.Contains(switches, p => p.First.Layer == 2 && p.Second.Layer == 0);
        foreach (var (before, after) in switches)
        {
            Assert.True(after.Keyframe, $"switch to layer {after.Layer} did not start at a keyframe");
            var step = after.Ts - before.Ts; // 90 kHz; the wall-clock time between the two packets, at least one tick
            Assert.InRange(step, 1u, 90u * 1_000);
        }

        Assert.All(publisher.Peer.Streams.Where(s => s.Simulcast is not null), s => Assert.Equal(Ssrcs[s.Layer], s.Ssrc));
        Assert.Contains(Ssrcs[2], plis); // the switches asked the target layers, by their own SSRC, for keyframes
        Assert.Contains(Ssrcs[0], plis);
        Assert.True(relay.Metrics.SimulcastSwitches - switchesBefore >= 2);
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    /// <summary>
    /// Two viewers, one reporting 25 % loss in its receiver reports (the real RTCP path into its loss-based estimate): it
    /// moves down to the lowest layer while the other stays on the full one, and the publisher's REMB — the maximum over
    /// viewers with simulcast, for every layer's SSRC — stays unconstrained instead of following the lossy viewer.
    /// </summary>
    [Fact]
    public async Task A_lossy_viewer_moves_down_alone_and_the_remb_follows_the_best_viewer()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, TestOffers.WithSimulcast);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var rembs = new ConcurrentQueue<ReceiverEstimatedMaxBitrate>();
        var sending = PublishAsync(publisher, new ConcurrentQueue<uint>(), stop.Token, rembs);
        await Task.Delay(2_500, stop.Token); // every layer's rate measured
        var lossy = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        var healthy = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        var (lossyTrack, healthyTrack) = (lossy.Peer.TrackFor("video")!, healthy.Peer.TrackFor("video")!);
        for (var i = 0; i < 100 && (lossyTrack.CurrentLayer != 2 || healthyTrack.CurrentLayer != 2); i++)
        {
            await Task.Delay(50, stop.Token);
        }

        Assert.Equal(2, lossyTrack.CurrentLayer);
        Assert.Equal(2, healthyTrack.CurrentLayer);

        using var srtcp = SrtpSession.ForSending(lossy.Keys);
        var buffer = new byte[128];
        for (var i = 0; i < 24; i++) // 25 % loss, four reports a second for six seconds
        {
            var length = new ReceiverReport(0x0BADCAFE, [new ReportBlock(lossyTrack.Ssrc, 64, i * 10, (uint)(i * 30), 0, 0, 0)]).WriteTo(buffer);
            Assert.True(srtcp.TryProtectRtcp(buffer, length, out var protectedLength));
            lossy.Socket.SendTo(buffer.AsSpan(0, protectedLength), SocketFlags.None, relay.MediaEndPoint);
            await Task.Delay(250, stop.Token);
        }

        var estimate = SimulcastLayers.EstimateBps(lossy.Peer);
        output.WriteLine($"lossy viewer: estimate {estimate} bit/s, layer {lossyTrack.CurrentLayer}; healthy viewer: layer {healthyTrack.CurrentLayer}; last REMB {rembs.LastOrDefault()?.Bitrate}");
        Assert.True(estimate < 400_000, $"the lossy viewer's estimate is {estimate}");
        Assert.Equal(0, lossyTrack.CurrentLayer);
        Assert.Equal(2, healthyTrack.CurrentLayer);
        var last = rembs.Last();
        Assert.True(last.Bitrate > LossBasedEstimate.UnconstrainedBps * 0.99, $"REMB {last.Bitrate}");
        Assert.Equal(Ssrcs.Order(), last.Ssrcs.Order());

        await stop.CancelAsync();
        await sending;
        publisher.Socket.Dispose();
        lossy.Socket.Dispose();
        healthy.Socket.Dispose();
    }

    /// <summary>
    /// A viewer that negotiated transport-wide CC and whose feedback describes a 500 kbit/s bottleneck (each packet
    /// arriving no earlier than the previous one plus its transmission time at that rate — synthetic feedback through the
    /// real subscriber RTCP path into its send-side estimator): it starts on the full layer (1.3 Mbit/s) and is moved
    /// below it, to a layer that fits, by its own estimate.
    /// </summary>
    [Fact]
    public async Task A_viewer_behind_a_500_kbit_bottleneck_is_moved_down_by_its_transport_estimate()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, TestOffers.WithSimulcast);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sending = PublishAsync(publisher, new ConcurrentQueue<uint>(), stop.Token);
        await Task.Delay(2_500, stop.Token); // every layer's rate measured
        var viewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer, TestOffers.WithTransportCc);
        var track = viewer.Peer.TrackFor("video")!;
        var layers = new List<(long AtMs, int Layer)>();
        var sampling = SampleLayersAsync(track, layers, Stopwatch.StartNew(), stop.Token);

        await ViewBehindBottleneckAsync(viewer, 500_000, TimeSpan.FromSeconds(8), stop.Token);
        var estimate = SimulcastLayers.EstimateBps(viewer.Peer);
        await stop.CancelAsync();
        await Task.WhenAll(sending, sampling);
        List<int> seen;
        lock (layers)
        {
            seen = [.. layers.Select(l => l.Layer)];
        }

        output.WriteLine($"estimate {estimate} bit/s; layers every 100 ms: {string.Join(' ', seen)}");
        Assert.Contains(2, seen); // started on the full layer (unconstrained)
        Assert.InRange(estimate, LossBasedEstimate.FloorBps, 600_000UL);
        Assert.InRange(track.CurrentLayer, 0, 1);
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    /// <summary>
    /// Up-switch trials (docs/relay.md, "Simulcast"): a viewer with RTX and transport-wide CC behind a synthetic 400 kbit/s
    /// token bucket (4,000 bytes of burst, which a probe cluster fits in; the medium layer needs ~0.5 Mbit/s) is moved down
    /// and stays on the low layer — a trial of a higher layer (padding on its RTX stream up to that layer's rate + 15 %)
    /// drives its estimate down before the 2 s hold ends, however high a probe lifted it; once the bottleneck is gone a
    /// trial holds and it goes up.
    /// </summary>
    [Fact]
    public async Task A_higher_layer_is_tried_with_padding_and_taken_only_when_the_path_carries_it()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, TestOffers.WithSimulcast);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var sending = PublishAsync(publisher, new ConcurrentQueue<uint>(), stop.Token);
        await Task.Delay(2_500, stop.Token); // every layer's rate measured
        var viewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer, TestOffers.WithTransportCc);
        var track = viewer.Peer.TrackFor("video")!;
        Assert.NotNull(track.Rtx);
        var layers = new List<(long AtMs, int Layer)>();
        var clock = Stopwatch.StartNew();
        var sampling = SampleLayersAsync(track, layers, clock, stop.Token);

        var paddingBefore = relay.Metrics.TrialPaddingPackets;
        var probesBefore = relay.Metrics.ProbeClusters;
        var limitedFor = TimeSpan.FromSeconds(16);
        long limitedPadding = 0;
        var failed = 0;
        var limitedEnd = 0L;
        var lift = Task.Run(async () =>
        {
            await Task.Delay(limitedFor, stop.Token);
            limitedEnd = clock.ElapsedMilliseconds;
            limitedPadding = relay.Metrics.TrialPaddingPackets - paddingBefore;
            failed = track.Layers.FailedTrials;
            output.WriteLine($"limited: estimate {SimulcastLayers.EstimateBps(viewer.Peer)}, {relay.Metrics.ProbeClusters - probesBefore} probes, ceiling {track.ProbeCeilingBps}");
        });
        await ViewBehindBottleneckAsync(viewer, t => t < limitedFor ? 400_000 : 100_000_000, limitedFor + TimeSpan.FromSeconds(14), stop.Token, burstBytes: 4_000);
        await lift;
        output.WriteLine($"lifted: estimate {SimulcastLayers.EstimateBps(viewer.Peer)}, {relay.Metrics.ProbeClusters - probesBefore} probes in all, failed trials {track.Layers.FailedTrials}");
        await stop.CancelAsync();
        await Task.WhenAll(sending, sampling);
        List<(long AtMs, int Layer)> seen;
        lock (layers)
        {
            seen = [.. layers];
        }

        var limited = seen.Where(l => l.AtMs < limitedEnd).Select(l => l.Layer).ToList();
        var down = limited.IndexOf(0);
        var lifted = seen.Where(l => l.AtMs > limitedEnd).ToList();
        var up = lifted.FindIndex(l => l.Layer > 0);
        output.WriteLine($"limited: layers every 100 ms {string.Join(' ', limited)}; {limitedPadding} trial padding packets, {failed} failed trials in a row, {relay.Metrics.TrialsStoppedByQueue} trials stopped by a queue in the feedback");
        output.WriteLine($"lifted: {string.Join(' ', lifted.Select(l => l.Layer))}; up {(up < 0 ? "never" : $"{lifted[up].AtMs - limitedEnd} ms")} after the lift, {relay.Metrics.TrialPaddingPackets - paddingBefore - limitedPadding} trial padding packets");
        Assert.True(down >= 0, "the limited viewer never reached the low layer");
        Assert.All(limited.Skip(down), l => Assert.Equal(0, l)); // no trial took it up through the bottleneck
        // Whether a trial is made while limited depends on a probe overstating the link (through the burst), so it is
        // printed, not asserted: what must hold is that none takes the viewer up.
        Assert.True(up >= 0, "not up again within 14 s of the lift");
        Assert.True(relay.Metrics.TrialPaddingPackets - paddingBefore > limitedPadding, "the way up was not tried with padding");
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    /// <summary>The track's layer every 100 ms (with the time on <paramref name="clock"/>) into <paramref name="layers"/> until <paramref name="stop"/>.</summary>
    private static Task SampleLayersAsync(SubscriberTrack track, List<(long AtMs, int Layer)> layers, Stopwatch clock, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            lock (layers)
            {
                layers.Add((clock.ElapsedMilliseconds, track.CurrentLayer));
            }

            await Task.Delay(100, CancellationToken.None);
        }
    }, CancellationToken.None);

    /// <summary>Receives the viewer's RTP for <paramref name="duration"/> and sends transport feedback every 100 ms as a link of <paramref name="limitBps"/> would deliver it.</summary>
    private Task ViewBehindBottleneckAsync(SyntheticPeer.Connected viewer, double limitBps, TimeSpan duration, CancellationToken stop) =>
        ViewBehindBottleneckAsync(viewer, _ => limitBps, duration, stop);

    /// <summary>
    /// As above, with the link's rate a function of the time since the start (one SRTP/SRTCP context for the whole view:
    /// a second context would restart the SRTCP index, and the relay would drop its feedback as replays).
    /// </summary>
    /// <remarks>
    /// <paramref name="burstBytes"/> &gt; 0 makes the link a token bucket, as tc tbf: a packet that finds the queue empty
    /// and enough tokens passes at once, so a short probe cluster goes through at its own rate and overstates the link;
    /// with it the queue holds 100 ms at the rate, beyond which packets are dropped (reported lost), as tbf's.
    /// </remarks>
    private async Task ViewBehindBottleneckAsync(SyntheticPeer.Connected viewer, Func<TimeSpan, double> limitAt, TimeSpan duration, CancellationToken stop, int burstBytes = 0)
    {
        const long queueMicros = 100_000;
        var tokens = (double)burstBytes;
        var tokensAt = 0L;
        const byte extensionId = 3; // TestOffers.WithTransportCc
        using var srtp = SrtpSession.ForReceiving(viewer.Keys);
        using var srtcp = SrtpSession.ForSending(viewer.Keys);
        var buffer = new byte[2048];
        var feedback = new byte[1400];
        var arrivals = new long[4096];
        var clock = Stopwatch.StartNew();
        var lastArrival = 0L;
        int? first = null;
        var last = 0;
        var lastFeedback = clock.Elapsed;
        byte count = 0;
        using var window = CancellationTokenSource.CreateLinkedTokenSource(stop);
        window.CancelAfter(duration);
        try
        {
            while (true)
            {
                var n = await viewer.Socket.ReceiveAsync(buffer, SocketFlags.None, window.Token);
                if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtp || !srtp.TryUnprotectRtp(buffer, n, out var plain)
                    || !RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header)
                    || !RtpExtensions.TryGetTransportSequence(buffer.AsSpan(0, plain), header, extensionId, out var sequence))
                {
                    continue;
                }

                var now = (long)clock.Elapsed.TotalMicroseconds;
                var rate = limitAt(clock.Elapsed);
                tokens = Math.Min(burstBytes, tokens + ((now - tokensAt) * rate / 8e6));
                tokensAt = now;
                long arrival;
                if (burstBytes > 0 && lastArrival <= now && tokens >= plain)
                {
                    tokens -= plain;
                    arrival = lastArrival = now;
                }
                else
                {
                    arrival = Math.Max(now, lastArrival + (long)(plain * 8 * 1e6 / rate));
                    if (burstBytes > 0 && arrival - now > queueMicros)
                    {
                        arrival = -1; // the queue is full: dropped
                    }
                    else
                    {
                        lastArrival = arrival;
                    }
                }

                first ??= sequence;
                var offset = (ushort)(sequence - (ushort)first.Value);
                if (offset >= arrivals.Length)
                {
                    continue;
                }

                if (offset >= last)
                {
                    arrivals.AsSpan(last, offset - last).Fill(-1);
                    last = offset + 1;
                }

                arrivals[offset] = arrival;
                if (clock.Elapsed - lastFeedback < TimeSpan.FromMilliseconds(100))
                {
                    continue;
                }

                lastFeedback = clock.Elapsed;
                var from = 0;
                while (from < last)
                {
                    var length = TransportCcFeedback.Write(feedback, 0x0BADCAFE, header.Ssrc, (ushort)(first.Value + from), count++, arrivals.AsSpan(from, last - from), out var consumed);
                    if (length == 0)
                    {
                        break; // nothing received in what is left (all dropped by the bucket): no packet can say so
                    }

                    Assert.True(srtcp.TryProtectRtcp(feedback, length, out var protectedLength));
                    viewer.Socket.SendTo(feedback.AsSpan(0, protectedLength), SocketFlags.None, relay.MediaEndPoint);
                    from += consumed;
                }

                first = (ushort)(first.Value + last);
                last = 0;
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
        }
    }

    [Theory]
    [InlineData("?maxBitrate=abc")]
    [InlineData("?maxBitrate=0")]
    [InlineData("?maxBitrate=-5")]
    [InlineData("?maxBitrate=1&maxBitrate=2")]
    [InlineData("?maxBitrate=99999999999")]
    public async Task A_bad_max_bitrate_hint_is_a_problem_with_a_code(string query)
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, TestOffers.WithSimulcast);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(relay.Whep(session) + query))
        {
            Content = new StringContent(TestOffers.Viewer(), System.Text.Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", relay.Grant(session, RelayRole.Viewer));
        using var response = await relay.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("bad-request", json.RootElement.GetProperty("code").GetString());
        Assert.Contains("maxBitrate", json.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
        publisher.Socket.Dispose();
    }

    private async Task<SyntheticPeer.Connected> ConnectViewerAsync(Guid session, string query)
    {
        var c = await RelayTestPeer.ConnectAsync(relay.Http, new Uri(relay.Whep(session) + query), relay.Grant(session, RelayRole.Viewer), relay.MediaEndPoint, publisher: false, TestOffers.WithoutRtx); // resends on the media SSRC, which the test reads
        c.Socket.ReceiveBufferSize = 1 << 21; // a stalled test thread on a loaded machine must not drop the layer's packets
        var peer = relay.Registry.FindByUfrag(c.Ufrag)!;
        for (var i = 0; i < 50 && peer.State != PeerState.Secured; i++)
        {
            await Task.Delay(20);
        }

        return new SyntheticPeer.Connected(session, peer, c.Socket, c.Password, c.Keys, c.Answer) { Early = c.Early };
    }

    private static async Task WaitForLayerAsync(SubscriberTrack track, List<Received> received, int layer, CancellationToken stop)
    {
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            lock (received)
            {
                if (track.CurrentLayer == layer && received.Count > 0 && received[^1].Layer == layer)
                {
                    return;
                }
            }

            await Task.Delay(20, stop);
        }
    }

    /// <summary>30 frames a second on each layer; a layer's keyframe at its first frame and after each PLI naming its SSRC.</summary>
    private async Task PublishAsync(SyntheticPeer.Connected publisher, ConcurrentQueue<uint> plis, CancellationToken stop, ConcurrentQueue<ReceiverEstimatedMaxBitrate>? rembs = null)
    {
        var wantKeyframe = new[] { true, true, true };
        var reading = publisher.ReadRtcpAsync(packet =>
        {
            if (rembs is not null && ReceiverEstimatedMaxBitrate.TryParse(packet, out var remb))
            {
                rembs.Enqueue(remb!);
            }

            if (RtcpFeedback.TryRead(packet, out var feedback, out _) && feedback.IsPli)
            {
                plis.Enqueue(feedback.MediaSsrc);
                var layer = Array.IndexOf(Ssrcs, feedback.MediaSsrc);
                if (layer >= 0)
                {
                    Volatile.Write(ref wantKeyframe[layer], true);
                }
            }
        }, stop);

        using var srtp = SrtpSession.ForSending(publisher.Keys);
        var seq = new ushort[] { 100, 20_000, 50_000 };
        var buffer = new byte[1500];
        var clock = Stopwatch.StartNew();
        for (var frame = 0; !stop.IsCancellationRequested; frame++)
        {
            for (var layer = 0; layer < 3; layer++)
            {
                var keyframe = Interlocked.Exchange(ref wantKeyframe[layer], false);
                var ts = (uint)(layer * 1_000_000_000 + frame * 3000); // unrelated timestamp spaces, as browsers' layers have
                for (var p = 0; p < PacketsPerFrame[layer]; p++)
                {
                    var payload = new byte[PacketSize[layer]];
                    payload[0] = (byte)(p == 0 ? 0x10 : 0x00); // VP8 descriptor: S on the frame's first packet
                    payload[1] = (byte)(keyframe ? 0x00 : 0x01); // VP8 header: P bit clear = keyframe
                    payload[2] = (byte)layer;
                    payload[3] = (byte)(keyframe ? 1 : 0);
                    var packet = SimulcastPackets.Build(Ssrcs[layer], seq[layer]++, ts, Rids[layer], repaired: false, payload, marker: p == PacketsPerFrame[layer] - 1);
                    packet.CopyTo(buffer, 0);
                    Assert.True(srtp.TryProtectRtp(buffer, packet.Length, out var length));
                    publisher.Socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
                }
            }

            var due = TimeSpan.FromMilliseconds((frame + 1) * 1000.0 / 30);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, CancellationToken.None);
            }
        }

        await reading;
    }

    private static async Task ViewAsync(SyntheticPeer.Connected viewer, List<Received> received, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForReceiving(viewer.Keys);
        using var repeats = SrtpSession.ForReceiving(viewer.Keys); // a resent number is a replay to the first context
        var buffer = new byte[2048];
        var clock = Stopwatch.StartNew();
        try
        {
            while (true)
            {
                var n = await viewer.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtp)
                {
                    continue;
                }

                var copy = buffer.AsSpan(0, n).ToArray();
                var repeat = false;
                if (!srtp.TryUnprotectRtp(buffer, n, out var plain))
                {
                    copy.CopyTo(buffer, 0);
                    repeat = repeats.TryUnprotectRtp(buffer, n, out plain);
                    if (!repeat)
                    {
                        continue;
                    }
                }

                if (!RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header) || header.PayloadLength < 4)
                {
                    continue; // the padding-only sequence anchor
                }

                var payload = buffer.AsSpan(header.HeaderLength, header.PayloadLength);
                lock (received)
                {
                    received.Add(new Received(header.SequenceNumber, header.Timestamp, header.Ssrc, payload[2], payload[3] == 1 && (payload[0] & 0x10) != 0, clock.ElapsedMilliseconds, repeat));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task SendNackAsync(SyntheticPeer.Connected viewer, uint mediaSsrc, ushort seq)
    {
        using var srtcp = SrtpSession.ForSending(viewer.Keys);
        var buffer = new byte[128];
        var length = GenericNack.Write(buffer, 0x0BADCAFE, mediaSsrc, [seq]);
        Assert.True(srtcp.TryProtectRtcp(buffer, length, out var protectedLength));
        await viewer.Socket.SendToAsync(buffer.AsMemory(0, protectedLength), SocketFlags.None, relay.MediaEndPoint);
    }
}
