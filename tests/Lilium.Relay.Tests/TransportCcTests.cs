using System.Buffers.Binary;
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
/// Transport-wide congestion control through the in-process relay with synthetic peers (our DTLS client role, real
/// SRTP): feedback toward a publisher that numbers its packets, and a subscriber's feedback driving the relay's
/// per-subscriber estimate into the REMB toward the publisher.
/// </summary>
[Trait("Category", "Integration")]
public sealed class TransportCcTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private const uint VideoSsrc = 0x5EED0001;
    private const int PacketSize = 1200;
    private const byte ExtensionId = 3; // TestOffers.WithTransportCc

    [Fact]
    public async Task A_publisher_numbering_its_packets_gets_transport_feedback_covering_them()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, TestOffers.WithTransportCc);
        Assert.Equal(ExtensionId, publisher.Answer.Media[0].FindExtMap(SdpExtMap.TransportWideCc)!.Id);
        Assert.Contains("transport-cc", publisher.Answer.Media[0].RtpMaps[0].Feedback);
        // Sends for 3 s, and reads feedback for a second longer: the packets of the last feedback interval are
        // reported after the sending stops, later still when the machine is busy.
        using var sendFor = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        var sending = SendVideoAsync(publisher, transportCc: true, sendFor.Token);
        var (covered, received) = (new HashSet<ushort>(), new HashSet<ushort>());
        var feedbacks = 0;
        using var srtcp = SrtpSession.ForReceiving(publisher.Keys);
        var buffer = new byte[2048];
        var parsed = new TransportCcFeedback();
        try
        {
            while (true)
            {
                var n = await publisher.Socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtcp || !srtcp.TryUnprotectRtcp(buffer, n, out var plain))
                {
                    continue;
                }

                var reader = new RtcpCompoundReader(buffer.AsSpan(0, plain));
                while (reader.TryNext(out _, out var packet))
                {
                    if (parsed.TryParse(packet))
                    {
                        feedbacks++;
                        Assert.Equal(publisher.Peer.RelaySsrc, parsed.SenderSsrc);
                        foreach (var p in parsed.Packets)
                        {
                            covered.Add(p.Sequence);
                            if (p.Received)
                            {
                                received.Add(p.Sequence);
                            }
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        var sent = await sending;
        output.WriteLine($"{sent} packets sent, {feedbacks} feedback packets covering {covered.Count} sequence numbers, {received.Count} reported received");
        Assert.InRange(feedbacks, 20, 90); // every 50 ms while packets arrive (~3 s)
        // Every number is reported, received or lost. On a loaded machine (the whole assembly runs in parallel on two
        // cores) the relay's socket can drop some of the bursts a late sender catches up with; those are reported
        // lost, which is the truth, so the received share has a looser bound than the coverage.
        Assert.True(covered.Count >= sent * 0.95, $"{covered.Count} of {sent} sequence numbers covered by feedback");
        Assert.True(received.Count >= sent * 0.6, $"{received.Count} of {sent} reported received");
        Assert.All(covered, s => Assert.True(s < sent));
    }

    [Fact]
    public async Task A_subscriber_whose_feedback_shows_a_bottleneck_lowers_the_publishers_remb()
    {
        var session = Guid.NewGuid();
        var before = relay.Metrics.TransportFeedbacksReceived;
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host);
        var viewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer, TestOffers.WithTransportCc);
        Assert.Equal(ExtensionId, viewer.Answer.Media[0].FindExtMap(SdpExtMap.TransportWideCc)!.Id);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var estimates = new List<ReceiverEstimatedMaxBitrate>();
        var sending = SendVideoAsync(publisher, transportCc: false, stop.Token);
        var reading = ReadEstimatesAsync(publisher, estimates, stop.Token);

        // A viewer behind a 500 kbit/s bottleneck: each packet arrives no earlier than the previous one's arrival plus
        // its transmission time at that rate, so the queue (and the delay) grows while 1.2 Mbit/s is sent.
        await Task.Delay(TimeSpan.FromSeconds(1.5), stop.Token); // a REMB while uncongested
        var unconstrained = Latest(estimates).Bitrate;
        var viewing = ViewBehindBottleneckAsync(viewer, 500_000, TimeSpan.FromSeconds(6), stop.Token);
        var stats = await viewing;
        await Task.Delay(TimeSpan.FromSeconds(1.2), stop.Token); // the next housekeeping tick's REMB
        var limited = Latest(estimates).Bitrate;
        var counted = relay.Metrics.TransportFeedbacksReceived - before;
        output.WriteLine($"REMB before {unconstrained} bit/s, after {limited} bit/s; viewer got {stats.Packets} packets, sent {stats.Feedbacks} feedbacks; relay counted {counted}");
        await stop.CancelAsync();
        await Task.WhenAll(sending, reading);

        Assert.True(unconstrained > LossBasedEstimate.UnconstrainedBps * 0.99, $"REMB before the bottleneck: {unconstrained}");
        Assert.True(stats.Packets > 300, $"the viewer received {stats.Packets} packets");
        Assert.True(counted >= stats.Feedbacks * 0.9 && counted > 20, $"the relay counted {counted} of {stats.Feedbacks} feedback packets");
        Assert.InRange(limited, LossBasedEstimate.FloorBps, 600_000UL);
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    private static ReceiverEstimatedMaxBitrate Latest(List<ReceiverEstimatedMaxBitrate> estimates)
    {
        lock (estimates)
        {
            Assert.NotEmpty(estimates);
            return estimates[^1];
        }
    }

    private async Task<(int Packets, int Feedbacks)> ViewBehindBottleneckAsync(SyntheticPeer.Connected viewer, double limitBps, TimeSpan duration, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForReceiving(viewer.Keys);
        using var srtcp = SrtpSession.ForSending(viewer.Keys);
        var buffer = new byte[2048];
        var feedback = new byte[1400];
        var arrivals = new long[4096];
        var clock = Stopwatch.StartNew();
        var lastArrival = 0L;
        int? first = null;
        var last = 0;
        uint mediaSsrc = 0;
        var lastFeedback = clock.Elapsed;
        var (packets, feedbacks, count) = (0, 0, (byte)0);
        using var window = CancellationTokenSource.CreateLinkedTokenSource(stop);
        window.CancelAfter(duration);
        try
        {
            while (true)
            {
                var n = await viewer.Socket.ReceiveAsync(buffer, SocketFlags.None, window.Token);
                if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtp || !srtp.TryUnprotectRtp(buffer, n, out var plain)
                    || !RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header)
                    || !RtpExtensions.TryGetTransportSequence(buffer.AsSpan(0, plain), header, ExtensionId, out var sequence))
                {
                    continue;
                }

                packets++;
                mediaSsrc = header.Ssrc;
                var now = (long)clock.Elapsed.TotalMicroseconds;
                lastArrival = Math.Max(now, lastArrival + (long)(plain * 8 * 1e6 / limitBps));
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

                arrivals[offset] = lastArrival;
                if (clock.Elapsed - lastFeedback < TimeSpan.FromMilliseconds(100))
                {
                    continue;
                }

                // Feedback for everything since the last one, as Chromium sends it (every 100 ms here).
                lastFeedback = clock.Elapsed;
                var from = 0;
                while (from < last)
                {
                    var length = TransportCcFeedback.Write(feedback, 0x0BADCAFE, mediaSsrc, (ushort)(first.Value + from), count++, arrivals.AsSpan(from, last - from), out var consumed);
                    Assert.True(length > 0);
                    Assert.True(srtcp.TryProtectRtcp(feedback, length, out var protectedLength));
                    viewer.Socket.SendTo(feedback.AsSpan(0, protectedLength), SocketFlags.None, relay.MediaEndPoint);
                    feedbacks++;
                    from += consumed;
                }

                first = (ushort)(first.Value + last);
                last = 0;
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
        }

        return (packets, feedbacks);
    }

    /// <summary>~1.2 Mbit/s (125 packets of 1,200 bytes a second) of VP8-looking video (a keyframe start every 10 packets), optionally numbered transport-wide.</summary>
    private async Task<int> SendVideoAsync(SyntheticPeer.Connected publisher, bool transportCc, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForSending(publisher.Keys);
        var packet = new byte[PacketSize + 32];
        var clock = Stopwatch.StartNew();
        var i = 0;
        for (; !stop.IsCancellationRequested; i++)
        {
            packet.AsSpan().Clear();
            packet[0] = (byte)(transportCc ? 0x90 : 0x80);
            packet[1] = (byte)(97 | (i % 10 == 9 ? 0x80 : 0));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), (uint)(i / 10 * 3000));
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), VideoSsrc);
            var at = 12;
            if (transportCc)
            {
                // One-byte extension block: 0xBEDE, one word: | id 3, L=1 | sequence (2) | padding |
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(12), RtpExtensions.OneByteProfile);
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(14), 1);
                packet[16] = (ExtensionId << 4) | 1;
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(17), (ushort)i);
                at = 20;
            }

            packet[at] = (byte)(i % 10 == 0 ? 0x10 : 0x00);
            Assert.True(srtp.TryProtectRtp(packet, PacketSize, out var length));
            publisher.Socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
            var due = TimeSpan.FromMilliseconds((i + 1) * 8.0);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, CancellationToken.None);
            }
        }

        return i;
    }

    private static Task ReadEstimatesAsync(SyntheticPeer.Connected publisher, List<ReceiverEstimatedMaxBitrate> estimates, CancellationToken stop) =>
        publisher.ReadRtcpAsync(packet =>
        {
            if (ReceiverEstimatedMaxBitrate.TryParse(packet, out var remb))
            {
                lock (estimates)
                {
                    estimates.Add(remb!);
                }
            }
        }, stop);
}

/// <summary>The per-subscriber rewrite writes the subscriber's MID and transport-wide sequence elements in place of the publisher's.</summary>
[Trait("Category", "Unit")]
public sealed class RtpRewriterTransportCcTests
{
    [Theory]
    [InlineData(1, "0")]
    [InlineData(0, "")]
    [InlineData(1, "video-mid-long12")]
    public void The_rewrite_adds_a_transport_sequence_element_the_caller_numbers(int midId, string mid)
    {
        // A publisher packet with its own extension block (abs-send-time, id 2, 3 bytes) and a 5-byte payload.
        byte[] source = [0x90, 97, 0, 7, 0, 0, 0, 9, 0, 0, 0, 1, 0xBE, 0xDE, 0, 1, 0x22, 1, 2, 3, 0xA, 0xB, 0xC, 0xD, 0xE];
        Assert.True(RtpHeader.TryParse(source, out var header));
        var target = new byte[100];

        var length = RtpRewriter.Rewrite(source, header, target, 96, 500, 9000, 0x1234, midId, System.Text.Encoding.ASCII.GetBytes(mid), 3, out var at);
        Assert.True(at > 12);
        BinaryPrimitives.WriteUInt16BigEndian(target.AsSpan(at), 0xABCD);

        Assert.True(RtpHeader.TryParse(target.AsSpan(0, length), out var rewritten));
        Assert.Equal((ushort)500, rewritten.SequenceNumber);
        Assert.Equal(0x1234u, rewritten.Ssrc);
        Assert.True(RtpExtensions.TryGetTransportSequence(target.AsSpan(0, length), rewritten, 3, out var sequence));
        Assert.Equal((ushort)0xABCD, sequence);
        Assert.False(RtpExtensions.TryGet(target.AsSpan(0, length), rewritten, 2, out _)); // the publisher's element is gone
        Assert.Equal(mid.Length > 0, RtpExtensions.TryGetSdesItem(target.AsSpan(0, length), rewritten, 1, out var midValue));
        Assert.Equal(mid, System.Text.Encoding.ASCII.GetString(midValue));
        Assert.Equal([0xA, 0xB, 0xC, 0xD, 0xE], target.AsSpan(rewritten.HeaderLength, rewritten.PayloadLength).ToArray());
    }

    [Fact]
    public void Without_transport_cc_the_rewrite_is_as_before()
    {
        byte[] source = [0x80, 97, 0, 7, 0, 0, 0, 9, 0, 0, 0, 1, 0xA, 0xB];
        Assert.True(RtpHeader.TryParse(source, out var header));
        var target = new byte[100];
        var length = RtpRewriter.Rewrite(source, header, target, 96, 500, 9000, 0x1234, 0, [], 0, out var at);
        Assert.Equal(-1, at);
        Assert.Equal(14, length);
        Assert.Equal(0x80, target[0]);
    }
}
