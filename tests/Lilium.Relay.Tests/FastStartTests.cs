using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.WebRtc;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;

namespace Lilium.Relay.Tests;

[Trait("Category", "Unit")]
public sealed class KeyframeRunTests
{
    [Fact]
    public void A_keyframe_starts_the_run_and_later_packets_extend_it()
    {
        var run = new KeyframeRun();
        run.OnPacket(10, 900, startsKeyframe: false, nowMs: 0);
        Assert.False(run.TryGet(0, 10_000, out _, out _)); // no keyframe yet

        run.OnPacket(11, 1000, startsKeyframe: true, nowMs: 0);
        run.OnPacket(12, 1000, startsKeyframe: false, nowMs: 0);
        run.OnPacket(14, 4000, startsKeyframe: false, nowMs: 0);
        run.OnPacket(13, 4000, startsKeyframe: false, nowMs: 0); // late: inside the run already
        Assert.True(run.TryGet(0, 10_000, out var first, out var count));
        Assert.Equal((11, 4), (first, count));

        run.OnPacket(15, 7000, startsKeyframe: true, nowMs: 0); // the next keyframe restarts it
        Assert.True(run.TryGet(0, 10_000, out first, out count));
        Assert.Equal((15, 1), (first, count));
    }

    [Fact]
    public void A_second_start_within_the_same_keyframe_does_not_restart_it()
    {
        // H.264: the SPS (a STAP-A) and then the IDR's first fragment both start "a keyframe", with one timestamp.
        var run = new KeyframeRun();
        run.OnPacket(65535, 3000, startsKeyframe: true, nowMs: 0);
        run.OnPacket(0, 3000, startsKeyframe: true, nowMs: 0);
        Assert.True(run.TryGet(0, 10_000, out var first, out var count));
        Assert.Equal((65535, 2), (first, count)); // across the sequence number wrap
    }

    [Fact]
    public void The_run_lapses_when_the_cache_cannot_hold_it_or_it_is_too_old()
    {
        var run = new KeyframeRun();
        run.OnPacket(100, 0, startsKeyframe: true, nowMs: 0);
        for (var i = 1; i < PacketCache.Capacity; i++)
        {
            run.OnPacket((ushort)(100 + i), (uint)i, startsKeyframe: false, nowMs: 0);
        }

        Assert.True(run.TryGet(0, 10_000, out _, out var count));
        Assert.Equal(PacketCache.Capacity, count);
        run.OnPacket((ushort)(100 + PacketCache.Capacity), 0, startsKeyframe: false, nowMs: 0);
        Assert.False(run.TryGet(0, 10_000, out _, out _)); // its keyframe was overwritten in the cache

        run.OnPacket(5000, 1, startsKeyframe: true, nowMs: 1_000);
        Assert.True(run.TryGet(10_999, 10_000, out _, out _));
        Assert.False(run.TryGet(11_001, 10_000, out _, out _));
    }
}

[Trait("Category", "Unit")]
public sealed class RtpRewriterExtensionTests
{
    [Fact]
    public void Writes_mid_playout_delay_and_the_publishers_capture_time_as_one_byte_elements()
    {
        // The publisher's packet: one-byte extension with abs-capture-time (id 7, 8 bytes) and another element (id 3).
        var source = Convert.FromHexString("90601234010203040000000A" + "BEDE0003" + "77" + "0102030405060708" + "317879" + "5041594C4F4144");
        Assert.True(RtpHeader.TryParse(source, out var header));
        Assert.True(RtpExtensions.TryGet(source, header, 7, out var published));
        var delay = new byte[PlayoutDelay.Size];
        PlayoutDelay.Write(delay, 0, 0);
        var target = new byte[128];

        var length = RtpRewriter.Rewrite(source, header, target, 96, 5, 6, 0xCAFEBABE, 4, "1"u8, 6, delay, 12, published);

        var packet = target.AsSpan(0, length);
        Assert.True(RtpHeader.TryParse(packet, out var rewritten));
        Assert.Equal(RtpExtensions.OneByteProfile, rewritten.ExtensionProfile);
        Assert.True(RtpExtensions.TryGet(packet, rewritten, 4, out var mid));
        Assert.Equal("1"u8.ToArray(), mid.ToArray());
        Assert.True(RtpExtensions.TryGet(packet, rewritten, 6, out var playout));
        Assert.True(PlayoutDelay.TryRead(playout, out var min, out var max));
        Assert.Equal((0, 0), (min, max));
        Assert.True(RtpExtensions.TryGet(packet, rewritten, 12, out var capture));
        Assert.Equal(Convert.FromHexString("0102030405060708"), capture.ToArray());
        Assert.False(RtpExtensions.TryGet(packet, rewritten, 3, out _)); // the publisher's other elements are dropped
        Assert.Equal(0, rewritten.ExtensionLength % 4);
        Assert.Equal("PAYLOAD"u8.ToArray(), packet[rewritten.HeaderLength..].ToArray());
    }

    [Fact]
    public void Leaves_out_elements_the_one_byte_form_cannot_carry_and_matches_the_mid_only_layout()
    {
        var source = Convert.FromHexString("80601234010203040000000148656C6C6F");
        Assert.True(RtpHeader.TryParse(source, out var header));
        var withAll = new byte[64];
        var midOnly = new byte[64];
        var delay = new byte[PlayoutDelay.Size];

        var a = RtpRewriter.Rewrite(source, header, withAll, 96, 1, 2, 3, 4, "v0"u8, 15, delay, 0, new byte[8]); // id 15: not one-byte
        var b = RtpRewriter.Rewrite(source, header, midOnly, 96, 1, 2, 3, 4, "v0"u8);

        Assert.Equal(withAll.AsSpan(0, a).ToArray(), midOnly.AsSpan(0, b).ToArray());
    }
}

/// <summary>
/// Fast start against the relay with our own DTLS-SRTP peers: a static screen (one keyframe, then nothing) is shown to a
/// late viewer at once without a PLI, and a publisher with no keyframe to replay is asked again until one comes.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FastStartTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private const uint VideoSsrc = 0x5EED0002;

    [Fact]
    public async Task A_viewer_joining_a_static_screen_gets_its_keyframe_at_once_without_a_pli()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host);
        using var srtp = SrtpSession.ForSending(publisher.Keys);
        Send(publisher, srtp, 0, 3000, Keyframe(start: true), marker: false);
        Send(publisher, srtp, 1, 3000, Keyframe(start: false), marker: true);
        Send(publisher, srtp, 2, 6000, Delta(), marker: true); // then the screen stays still: nothing more is sent
        await Task.Delay(TimeSpan.FromSeconds(1));
        var plisBefore = relay.Metrics.PlisSent;
        var fastBefore = relay.Metrics.FastStarts;

        var viewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        var secured = Stopwatch.StartNew(); // ConnectAsync returns once the relay has secured the viewer
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var received = await ReceiveVideoAsync(viewer, count: 4, secured, stop.Token);
        var firstKeyframeMs = received.FirstOrDefault(p => p.Keyframe)?.AtMs ?? -1;

        output.WriteLine(string.Join(", ", received.Select(p => $"seq {p.Seq} ts {p.Timestamp} {(p.Padding ? "anchor" : p.Keyframe ? "keyframe" : "delta")} +{p.AtMs} ms")));
        output.WriteLine($"first keyframe packet {firstKeyframeMs} ms after the viewer was secured; PLIs {relay.Metrics.PlisSent - plisBefore}");
        Assert.True(received[0].Padding, "the sequence anchor comes first");
        Assert.True(received[1].Keyframe, "the keyframe follows the anchor");
        Assert.Equal((ushort)(received[0].Seq + 1), received[1].Seq);
        Assert.Equal([received[1].Seq, (ushort)(received[1].Seq + 1), (ushort)(received[1].Seq + 2)], received.Skip(1).Select(p => p.Seq));
        Assert.Equal(3000u, received[3].Timestamp - received[1].Timestamp); // the run keeps its timing
        Assert.InRange(firstKeyframeMs, 0, 299);
        Assert.Equal(plisBefore, relay.Metrics.PlisSent); // no keyframe was requested for this join
        Assert.Equal(fastBefore + 1, relay.Metrics.FastStarts);
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    [Fact]
    public async Task Without_a_keyframe_to_replay_the_pli_is_repeated_until_a_keyframe_arrives()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host);
        using var srtp = SrtpSession.ForSending(publisher.Keys);
        Send(publisher, srtp, 0, 3000, Delta(), marker: true); // a publisher whose keyframe the relay never saw
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var plis = new List<long>();
        var clock = Stopwatch.StartNew();
        var reading = ReadPlisAsync(publisher, plis, clock, stop.Token);

        // From before the connect: the relay sends the join's PLI as it secures the viewer, which can be before
        // ConnectAsync has returned here.
        var joinedMs = clock.ElapsedMilliseconds;
        var viewer = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer);
        // The join's PLI, then one per tick of the 500-ms repeat timer (at least 400 ms after the last): five or six in
        // 3.2 s on an idle machine; a loaded one delays ticks, so four are required.
        await Task.Delay(TimeSpan.FromSeconds(3.2), stop.Token);
        var whileWaiting = Snapshot(plis);
        Send(publisher, srtp, 1, 6000, Keyframe(start: true), marker: true); // the publisher finally sends one
        var keyframeMs = clock.ElapsedMilliseconds;
        var received = await ReceiveVideoAsync(viewer, count: 2, clock, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1.5), stop.Token);
        var all = Snapshot(plis);

        output.WriteLine($"joined at {joinedMs} ms, keyframe at {keyframeMs} ms; PLIs at {string.Join(", ", all)} ms");
        Assert.True(whileWaiting.Count(t => t >= joinedMs) >= 4, $"PLIs while waiting: {string.Join(", ", whileWaiting)}");
        var gaps = whileWaiting.Where(t => t >= joinedMs).Zip(whileWaiting.Where(t => t >= joinedMs).Skip(1), (a, b) => b - a).ToList();
        Assert.All(gaps.Skip(1), gap => Assert.InRange(gap, 300, 1_200)); // throttled repeats, about every 500 ms
        Assert.True(received[1].Keyframe, "the viewer starts on the keyframe");
        Assert.DoesNotContain(all, t => t > keyframeMs + 100); // the repeats stop once the keyframe came
        await stop.CancelAsync();
        await reading;
        publisher.Socket.Dispose();
        viewer.Socket.Dispose();
    }

    private static List<long> Snapshot(List<long> plis)
    {
        lock (plis)
        {
            return [.. plis];
        }
    }

    // VP8 payload descriptor S=1 PID=0, then the payload header's P bit: 0 for a key frame (RFC 7741 §4.2–4.3).
    private static byte[] Keyframe(bool start) => start ? [0x10, 0x00, 0x9D, 0x01, 0x2A, 0xAA] : [0x00, 0xBB, 0xBB, 0xBB];

    private static byte[] Delta() => [0x10, 0x01, 0xCC, 0xCC];

    private void Send(SyntheticPeer.Connected publisher, SrtpSession srtp, ushort seq, uint timestamp, byte[] payload, bool marker)
    {
        var packet = new byte[RtpHeader.FixedSize + payload.Length + 32];
        RtpHeader.WriteFixed(packet, marker, 97, seq, timestamp, VideoSsrc);
        payload.CopyTo(packet, RtpHeader.FixedSize);
        Assert.True(srtp.TryProtectRtp(packet, RtpHeader.FixedSize + payload.Length, out var length));
        publisher.Socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
    }

    private sealed record Received(ushort Seq, uint Timestamp, bool Padding, bool Keyframe, long AtMs);

    private static async Task<List<Received>> ReceiveVideoAsync(SyntheticPeer.Connected viewer, int count, Stopwatch clock, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForReceiving(viewer.Keys);
        var buffer = new byte[2048];
        var received = new List<Received>();
        var early = 0;
        while (received.Count < count)
        {
            int n;
            if (early < viewer.Early.Count)
            {
                n = viewer.Early[early].Length; // arrived while our handshake was finishing: before the clock started
                viewer.Early[early++].CopyTo(buffer, 0);
            }
            else
            {
                n = await viewer.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
            }

            if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtp || !srtp.TryUnprotectRtp(buffer, n, out var plain)
                || !RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header) || header.PayloadType != 97 && !header.Padding)
            {
                continue;
            }

            var payload = buffer.AsSpan(header.HeaderLength, header.PayloadLength);
            var keyframe = payload.Length >= 2 && (payload[0] & 0x10) != 0 && (payload[1] & 0x01) == 0;
            received.Add(new Received(header.SequenceNumber, header.Timestamp, header.Padding, keyframe, clock.ElapsedMilliseconds));
        }

        return received;
    }

    private static Task ReadPlisAsync(SyntheticPeer.Connected publisher, List<long> plis, Stopwatch clock, CancellationToken stop) =>
        publisher.ReadRtcpAsync(packet =>
        {
            if (RtcpFeedback.TryRead(packet, out var feedback, out _) && feedback.IsPli && feedback.MediaSsrc == VideoSsrc)
            {
                lock (plis)
                {
                    plis.Add(clock.ElapsedMilliseconds);
                }
            }
        }, stop);
}
