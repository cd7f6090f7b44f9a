using System.Buffers.Binary;
using System.Net.Sockets;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.WebRtc;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;

namespace Lilium.Relay.Tests;

/// <summary>The loss-based estimate a subscriber's receiver reports drive (GCC's loss controller).</summary>
[Trait("Category", "Unit")]
public sealed class LossBasedEstimateTests
{
    private const ulong Incoming = 2_000_000;

    [Fact]
    public void Reports_without_congestion_constrain_nothing()
    {
        var estimate = new LossBasedEstimate();
        Assert.Null(estimate.Bps);
        estimate.OnReport(0, Incoming);
        estimate.OnReport(13, Incoming); // ~5 %
        Assert.Null(estimate.Bps);
    }

    [Fact]
    public void High_loss_cuts_by_half_the_loss_low_loss_grows_five_percent_and_between_holds()
    {
        var estimate = new LossBasedEstimate();
        estimate.OnReport(64, Incoming); // 25 %: starts at 2 Mbit/s, × (1 − 0.125)
        Assert.Equal(1_750_000UL, estimate.Bps);
        estimate.OnReport(13, Incoming); // ~5 %: hold
        Assert.Equal(1_750_000UL, estimate.Bps);
        estimate.OnReport(0, Incoming); // no loss: +5 %
        Assert.Equal(1_837_500UL, estimate.Bps);
    }

    [Fact]
    public void Sustained_loss_stops_at_the_floor_and_a_publisher_sending_far_below_the_constraint_lifts_it()
    {
        var estimate = new LossBasedEstimate();
        for (var i = 0; i < 100; i++)
        {
            estimate.OnReport(255, Incoming);
        }

        Assert.Equal(LossBasedEstimate.FloorBps, estimate.Bps);
        for (var i = 0; i < 10; i++)
        {
            estimate.OnReport(0, LossBasedEstimate.FloorBps); // the encoder follows the constraint: still constrained
        }

        Assert.NotNull(estimate.Bps);
        for (var i = 0; i < 20; i++)
        {
            estimate.OnReport(0, 50_000); // a still screen: the publisher sends far less than allowed
        }

        Assert.Null(estimate.Bps);
    }
}

/// <summary>
/// The relay tells a publisher what its subscribers can take (REMB): a synthetic publisher sends ~1.2 Mbit/s of video,
/// a synthetic subscriber reports 25 % loss and then none, and the publisher reads the REMBs that come back.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RembTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private const uint VideoSsrc = 0x5EED0001;
    private const int PacketSize = 1200;
    private const double SendingBps = 125 * PacketSize * 8; // 125 packets a second

    [Fact]
    public async Task A_lossy_subscriber_lowers_the_publishers_remb_and_a_clean_one_raises_it_again()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host);
        var viewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var estimates = new List<(TimeSpan At, ReceiverEstimatedMaxBitrate Remb)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sending = SendVideoAsync(publisher, stop.Token);
        var reading = ReadEstimatesAsync(publisher, estimates, clock, stop.Token);
        var viewerSsrc = await FirstVideoSsrcAsync(viewer, stop.Token);
        using var reports = SrtpSession.ForSending(viewer.Keys); // one SRTCP index sequence for both phases
        await Task.Delay(TimeSpan.FromSeconds(1.5), stop.Token); // a housekeeping tick with a subscriber and no loss yet

        // 25 % loss reported four times a second for six seconds: the estimate falls well below what is sent.
        await ReportAsync(viewer, reports, viewerSsrc, fractionLost: 64, TimeSpan.FromSeconds(6), stop.Token);
        var lossy = Latest(estimates);
        output.WriteLine($"after loss: {lossy.Bitrate} bit/s (sending {SendingBps})");
        Assert.Equal([VideoSsrc], lossy.Ssrcs);
        Assert.Contains(estimates, e => e.Remb.Bitrate > LossBasedEstimate.UnconstrainedBps * 0.99); // before any loss (REMB keeps 18 bits of mantissa)
        Assert.InRange(lossy.Bitrate, LossBasedEstimate.FloorBps, (ulong)(SendingBps * 0.7));

        // No loss for six seconds: it climbs again, 5 % a report.
        await ReportAsync(viewer, reports, viewerSsrc, fractionLost: 0, TimeSpan.FromSeconds(6), stop.Token);
        var clean = Latest(estimates);
        output.WriteLine($"after recovery: {clean.Bitrate} bit/s; {estimates.Count} REMBs; relay counted {relay.Metrics.BitrateEstimatesSent}");
        Assert.True(clean.Bitrate > lossy.Bitrate * 1.3, $"{clean.Bitrate} after recovery vs {lossy.Bitrate} after loss");
        Assert.True(relay.Metrics.BitrateEstimatesSent >= estimates.Count);

        await stop.CancelAsync();
        await Task.WhenAll(sending, reading);
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    /// <summary>
    /// A viewer that paused its video (a hidden tab) no longer sets the publisher's rate: its lossy path held the REMB
    /// down; once paused (the hint its control channel carries, applied through the forwarder) the REMB follows the
    /// viewers that watch — here none constrained, so unconstrained again.
    /// </summary>
    [Fact]
    public async Task A_paused_viewer_no_longer_holds_the_publishers_remb_down()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host);
        var lossy = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        var watching = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var estimates = new List<(TimeSpan At, ReceiverEstimatedMaxBitrate Remb)>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var sending = SendVideoAsync(publisher, stop.Token);
        var reading = ReadEstimatesAsync(publisher, estimates, clock, stop.Token);
        var lossySsrc = await FirstVideoSsrcAsync(lossy, stop.Token);
        using var reports = SrtpSession.ForSending(lossy.Keys);

        await ReportAsync(lossy, reports, lossySsrc, fractionLost: 64, TimeSpan.FromSeconds(4), stop.Token);
        var held = Latest(estimates);
        Assert.InRange(held.Bitrate, LossBasedEstimate.FloorBps, (ulong)(SendingBps * 0.7));

        relay.Forwarder.ApplyVideoHint(lossy.Peer, new ViewerVideoHint(Paused: true, 0, 0));
        var pausedAt = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(2.5), stop.Token); // two housekeeping ticks
        List<(TimeSpan At, ReceiverEstimatedMaxBitrate Remb)> after;
        lock (estimates)
        {
            after = estimates.Where(e => e.At > pausedAt + TimeSpan.FromSeconds(1.1)).ToList();
        }

        output.WriteLine($"while lossy and watching: {held.Bitrate} bit/s; after the pause: {string.Join(", ", after.Select(e => e.Remb.Bitrate))}");
        Assert.NotEmpty(after); // still watched by the other viewer: REMBs go on
        Assert.All(after, e => Assert.True(e.Remb.Bitrate > LossBasedEstimate.UnconstrainedBps * 0.99, $"{e.Remb.Bitrate} bit/s"));

        await stop.CancelAsync();
        await Task.WhenAll(sending, reading);
        publisher.Socket.Dispose();
        lossy.Socket.Dispose();
        watching.Socket.Dispose();
    }

    private static ReceiverEstimatedMaxBitrate Latest(List<(TimeSpan At, ReceiverEstimatedMaxBitrate Remb)> estimates)
    {
        lock (estimates)
        {
            Assert.NotEmpty(estimates);
            return estimates[^1].Remb;
        }
    }

    private async Task SendVideoAsync(SyntheticPeer.Connected publisher, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForSending(publisher.Keys);
        var packet = new byte[PacketSize + 32];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            // A VP8 key frame's first packet every 10 packets (S=1, P=0), so the subscriber's track starts at once.
            packet.AsSpan().Clear();
            packet[0] = 0x80;
            packet[1] = (byte)(97 | (i % 10 == 9 ? 0x80 : 0));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), (uint)(i / 10 * 3000));
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), VideoSsrc);
            packet[12] = (byte)(i % 10 == 0 ? 0x10 : 0x00);
            Assert.True(srtp.TryProtectRtp(packet, PacketSize, out var length));
            publisher.Socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
            var due = TimeSpan.FromMilliseconds((i + 1) * 8.0);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, CancellationToken.None);
            }
        }
    }

    private static Task ReadEstimatesAsync(SyntheticPeer.Connected publisher, List<(TimeSpan, ReceiverEstimatedMaxBitrate)> estimates,
        System.Diagnostics.Stopwatch clock, CancellationToken stop) =>
        publisher.ReadRtcpAsync(packet =>
        {
            if (ReceiverEstimatedMaxBitrate.TryParse(packet, out var remb))
            {
                lock (estimates)
                {
                    estimates.Add((clock.Elapsed, remb!));
                }
            }
        }, stop);

    /// <summary>The SSRC the relay gave the subscriber's video track, from the first RTP packet it forwards.</summary>
    private static async Task<uint> FirstVideoSsrcAsync(SyntheticPeer.Connected viewer, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForReceiving(viewer.Keys);
        var buffer = new byte[2048];
        while (true)
        {
            var n = await viewer.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
            if (PacketDemux.Classify(buffer.AsSpan(0, n)) == PacketKind.Rtp && srtp.TryUnprotectRtp(buffer, n, out var plain)
                && RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header))
            {
                return header.Ssrc;
            }
        }
    }

    /// <summary>Receiver reports for <paramref name="ssrc"/> with <paramref name="fractionLost"/>, four a second.</summary>
    private async Task ReportAsync(SyntheticPeer.Connected viewer, SrtpSession srtcp, uint ssrc, byte fractionLost, TimeSpan duration, CancellationToken stop)
    {
        var buffer = new byte[128];
        var until = DateTime.UtcNow + duration;
        var index = 0;
        while (DateTime.UtcNow < until)
        {
            var block = new ReportBlock(ssrc, fractionLost, index * 10, (uint)(index * 30), 0, 0, 0);
            var length = new ReceiverReport(0x0BADCAFE, [block]).WriteTo(buffer);
            Assert.True(srtcp.TryProtectRtcp(buffer, length, out var protectedLength));
            viewer.Socket.SendTo(buffer.AsSpan(0, protectedLength), SocketFlags.None, relay.MediaEndPoint);
            index++;
            await Task.Delay(250, stop);
        }
    }
}
