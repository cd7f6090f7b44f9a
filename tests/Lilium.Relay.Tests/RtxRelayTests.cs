using System.Buffers.Binary;
using System.Net.Sockets;
using Lilium.Auth;
using Lilium.WebRtc;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;

namespace Lilium.Relay.Tests;

/// <summary>
/// RTX (RFC 4588) through the relay with our own DTLS-SRTP peers: a viewer that negotiated rtx gets its NACKed packets on
/// the RTX SSRC with the original sequence number first, one that did not gets them as they were; a publisher's RTX that
/// fills a gap is forwarded as the original, duplicates and padding are not.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RtxRelayTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>, IDisposable
{
    /// <summary>Each viewer's SRTP contexts (its replay windows and SRTCP index must persist across calls) and how many early datagrams were read.</summary>
    private readonly Dictionary<SyntheticPeer.Connected, ViewerState> _viewers = [];

    private const uint VideoSsrc = 3434957552; // announced in TestOffers.Publisher
    private const uint PublisherRtxSsrc = 0x0BAD_F00D;
    private const byte Vp8 = 97;
    private const byte RtxPt = 98; // TestOffers: a=rtpmap:98 rtx/90000, a=fmtp:98 apt=97

    [Fact]
    public async Task A_nack_from_an_rtx_viewer_is_answered_on_the_rtx_ssrc_with_the_original_sequence_number_first()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host);
        using var publish = SrtpSession.ForSending(publisher.Keys);
        Send(publisher, publish, Rtp(0, 3000, Keyframe(), marker: true));
        var rtxViewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        var plainViewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer, TestOffers.WithoutRtx);

        var video = rtxViewer.Answer.Media.Single(m => m.Kind == "video");
        var (mediaSsrc, rtxSsrc) = Assert.Single(video.FidPairs);
        Assert.Equal(RtxPt, video.RtxPayloadTypeFor(Vp8));
        var plainVideo = plainViewer.Answer.Media.Single(m => m.Kind == "video");
        Assert.Empty(plainVideo.FidPairs);
        Assert.Null(plainVideo.RtxPayloadTypeFor(Vp8));
        var plainSsrc = plainVideo.DistinctSsrcs.Single();

        for (ushort seq = 1; seq <= 4; seq++)
        {
            Send(publisher, publish, Rtp(seq, 6000, Delta((byte)seq), marker: true));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var rtxSeen = await ReceiveAsync(rtxViewer, p => p.Ssrc == mediaSsrc && !p.Padding && p.Tag == 4, stop.Token);
        var plainSeen = await ReceiveAsync(plainViewer, p => p.Ssrc == plainSsrc && !p.Padding && p.Tag == 4, stop.Token);
        var wanted = rtxSeen.Single(p => p.Ssrc == mediaSsrc && !p.Padding && p.Tag == 2); // publisher seq 2
        var plainWanted = plainSeen.Single(p => p.Ssrc == plainSsrc && !p.Padding && p.Tag == 2);
        var rtxBefore = relay.Metrics.RtxSent;

        Nack(rtxViewer, mediaSsrc, wanted.Seq);
        var rtx = (await ReceiveAsync(rtxViewer, p => p.Ssrc == rtxSsrc, stop.Token))[^1];
        Nack(plainViewer, plainSsrc, plainWanted.Seq);
        State(plainViewer).ForgetReplays(); // the resend repeats a sequence number SRTP's replay window has seen
        var resent = (await ReceiveAsync(plainViewer, p => p.Ssrc == plainSsrc && p.Seq == plainWanted.Seq, stop.Token))[^1];

        output.WriteLine($"rtx viewer: media {mediaSsrc} seq {wanted.Seq} → rtx {rtx.Ssrc} pt {rtx.PayloadType} seq {rtx.Seq} osn {BinaryPrimitives.ReadUInt16BigEndian(rtx.Payload)}");
        Assert.Equal(RtxPt, rtx.PayloadType);
        Assert.Equal(wanted.Seq, BinaryPrimitives.ReadUInt16BigEndian(rtx.Payload)); // OSN: the viewer's own sequence number
        Assert.Equal(wanted.Payload, rtx.Payload[2..]);
        Assert.Equal((wanted.Timestamp, wanted.Marker), (rtx.Timestamp, rtx.Marker));
        Assert.Equal(rtxBefore + 1, relay.Metrics.RtxSent);

        Assert.Equal(Vp8, resent.PayloadType); // no rtx negotiated: as it was
        Assert.Equal(plainWanted.Payload, resent.Payload);
        Assert.Equal(rtxBefore + 1, relay.Metrics.RtxSent);

        // A second NACK gets the next RTX sequence number (the stream has its own numbering), after the repeat window.
        await Task.Delay(TimeSpan.FromMilliseconds(100));
        Nack(rtxViewer, mediaSsrc, wanted.Seq);
        var again = (await ReceiveAsync(rtxViewer, p => p.Ssrc == rtxSsrc, stop.Token))[^1];
        Assert.Equal((ushort)(rtx.Seq + 1), again.Seq);
        publisher.Socket.Dispose();
        rtxViewer.Socket.Dispose();
        plainViewer.Socket.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_publishers_rtx_that_fills_a_gap_is_forwarded_as_the_original_and_duplicates_are_dropped(bool announced)
    {
        // announced: the offer pairs the RTX SSRC with the media one (a=ssrc-group:FID); else the relay learns it from the
        // rtx payload type.
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, announced ? WithFid : null);
        using var publish = SrtpSession.ForSending(publisher.Keys);
        Send(publisher, publish, Rtp(0, 3000, Keyframe(), marker: true));
        var viewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer, TestOffers.WithoutRtx);
        var ssrc = viewer.Answer.Media.Single(m => m.Kind == "video").DistinctSsrcs.Single();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ReceiveAsync(viewer, p => p.Ssrc == ssrc && !p.Padding && p.Tag == 0xAA, stop.Token); // the keyframe

        var nacked = new System.Collections.Concurrent.ConcurrentQueue<ushort>();
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        var nacks = publisher.ReadRtcpAsync(packet =>
        {
            if (GenericNack.TryParse(packet, out var feedback, out var lost) && feedback.MediaSsrc == VideoSsrc)
            {
                lost.ForEach(nacked.Enqueue);
            }
        }, reading.Token);
        var upstreamBefore = relay.Metrics.UpstreamNacked;
        Send(publisher, publish, Rtp(1, 6000, Delta(1), marker: true));
        Send(publisher, publish, Rtp(3, 12000, Delta(3), marker: true)); // 2 is lost on the way in
        await ReceiveAsync(viewer, p => p.Ssrc == ssrc && p.Tag == 3, stop.Token);

        // The relay asks the publisher for it (generic NACK on the media SSRC), as a browser's receiver would.
        for (var i = 0; i < 100 && nacked.IsEmpty; i++)
        {
            await Task.Delay(20, stop.Token);
        }

        Assert.Equal([(ushort)2], nacked.Distinct());
        Assert.True(relay.Metrics.UpstreamNacked > upstreamBefore);
        await reading.CancelAsync();
        await nacks;
        var (rtxIn, repairedIn, droppedIn) = (relay.Metrics.RtxReceivedCount, relay.Metrics.RtxRepairedCount, relay.Metrics.DroppedCount);

        Send(publisher, publish, RtxOf(Rtp(2, 9000, Delta(2), marker: true), rtxSeq: 700)); // the repair
        Send(publisher, publish, RtxOf(Rtp(2, 9000, Delta(2), marker: true), rtxSeq: 701)); // again: a duplicate
        Send(publisher, publish, RtxOf(Rtp(1, 6000, Delta(1), marker: true), rtxSeq: 702)); // payload padding: already had it
        Send(publisher, publish, RtxPadding(rtxSeq: 703));
        Send(publisher, publish, Rtp(4, 15000, Delta(4), marker: true));
        var seen = await ReceiveAsync(viewer, p => p.Ssrc == ssrc && p.Tag == 4, stop.Token);

        var repairs = seen.Where(p => p.Tag == 2).ToList();
        var duplicates = seen.Where(p => p.Tag == 1).ToList();
        output.WriteLine($"after the gap: {string.Join(", ", seen.Select(p => $"seq {p.Seq} pt {p.PayloadType} tag {p.Tag}"))}");
        var repair = Assert.Single(repairs);
        Assert.Equal((Vp8, ssrc), (repair.PayloadType, repair.Ssrc));
        Assert.Equal(Delta(2), repair.Payload);
        Assert.Empty(duplicates);
        Assert.Equal(seen[^1].Seq, (ushort)(repair.Seq + 2)); // mapped like the original: publisher 2 is two before publisher 4
        Assert.Equal(4, relay.Metrics.RtxReceivedCount - rtxIn);
        Assert.Equal(1, relay.Metrics.RtxRepairedCount - repairedIn);
        Assert.Equal(droppedIn, relay.Metrics.DroppedCount); // recognised as RTX, not dropped as unknown
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    private static string WithFid(string offer) => offer
        .Replace("a=ssrc:3434957552 cname:test\r\n",
            $"a=ssrc-group:FID 3434957552 {PublisherRtxSsrc}\r\na=ssrc:3434957552 cname:test\r\na=ssrc:{PublisherRtxSsrc} cname:test\r\n", StringComparison.Ordinal);

    // VP8 payload descriptor S=1 PID=0, then the payload header's P bit: 0 for a key frame (RFC 7741 §4.2–4.3).
    private static byte[] Keyframe() => [0x10, 0x00, 0x9D, 0x01, 0x2A, 0xAA];

    private static byte[] Delta(byte tag) => [0x10, 0x01, 0xCC, tag];

    private static byte[] Rtp(ushort seq, uint timestamp, byte[] payload, bool marker)
    {
        var packet = new byte[RtpHeader.FixedSize + payload.Length];
        RtpHeader.WriteFixed(packet, marker, Vp8, seq, timestamp, VideoSsrc);
        payload.CopyTo(packet, RtpHeader.FixedSize);
        return packet;
    }

    private static byte[] RtxOf(byte[] original, ushort rtxSeq)
    {
        var rtx = new byte[original.Length + Rtx.OsnSize];
        Assert.True(Rtx.TryWrap(original, rtx, PublisherRtxSsrc, RtxPt, rtxSeq, out var n));
        return rtx[..n];
    }

    private static byte[] RtxPadding(ushort rtxSeq)
    {
        var packet = new byte[64];
        var n = new RtxStream(PublisherRtxSsrc, RtxPt, rtxSeq).WritePadding(packet, 40, 9000);
        return packet[..n];
    }

    private void Send(SyntheticPeer.Connected publisher, SrtpSession srtp, byte[] packet)
    {
        var buffer = new byte[packet.Length + 32];
        packet.CopyTo(buffer, 0);
        Assert.True(srtp.TryProtectRtp(buffer, packet.Length, out var length));
        publisher.Socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
    }

    private void Nack(SyntheticPeer.Connected viewer, uint mediaSsrc, ushort seq)
    {
        var buffer = new byte[128];
        var length = GenericNack.Write(buffer, 0x7777, mediaSsrc, [seq]);
        Assert.True(State(viewer).Send.TryProtectRtcp(buffer, length, out length));
        viewer.Socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
    }

    private sealed record Packet(uint Ssrc, byte PayloadType, ushort Seq, uint Timestamp, bool Marker, bool Padding, byte[] Payload)
    {
        /// <summary>The payload's last byte (our packets' tag), or −1 for none (padding only).</summary>
        public int Tag => Payload.Length > 0 ? Payload[^1] : -1;
    }

    private sealed class ViewerState(SyntheticPeer.Connected viewer) : IDisposable
    {
        public SrtpSession Receive { get; private set; } = SrtpSession.ForReceiving(viewer.Keys);

        public void ForgetReplays()
        {
            Receive.Dispose();
            Receive = SrtpSession.ForReceiving(viewer.Keys);
        }

        public SrtpSession Send { get; } = SrtpSession.ForSending(viewer.Keys);

        public int Early { get; set; }

        public void Dispose()
        {
            Receive.Dispose();
            Send.Dispose();
        }
    }

    private ViewerState State(SyntheticPeer.Connected viewer)
    {
        if (!_viewers.TryGetValue(viewer, out var state))
        {
            _viewers[viewer] = state = new ViewerState(viewer);
        }

        return state;
    }

    public void Dispose()
    {
        foreach (var state in _viewers.Values)
        {
            state.Dispose();
        }
    }

    /// <summary>The RTP packets the viewer receives until one matches <paramref name="until"/> (that one last).</summary>
    private async Task<List<Packet>> ReceiveAsync(SyntheticPeer.Connected viewer, Func<Packet, bool> until, CancellationToken stop)
    {
        var state = State(viewer);
        var buffer = new byte[2048];
        var received = new List<Packet>();
        while (true)
        {
            int n;
            if (state.Early < viewer.Early.Count)
            {
                n = viewer.Early[state.Early].Length; // arrived while our handshake was finishing
                viewer.Early[state.Early++].CopyTo(buffer, 0);
            }
            else
            {
                n = await viewer.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
            }

            if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtp || !state.Receive.TryUnprotectRtp(buffer, n, out var plain)
                || !RtpHeader.TryParse(buffer.AsSpan(0, plain), out var h))
            {
                continue;
            }

            var packet = new Packet(h.Ssrc, h.PayloadType, h.SequenceNumber, h.Timestamp, h.Marker, h.Padding,
                buffer.AsSpan(h.HeaderLength, h.PayloadLength).ToArray());
            received.Add(packet);
            if (until(packet))
            {
                return received;
            }
        }
    }
}
