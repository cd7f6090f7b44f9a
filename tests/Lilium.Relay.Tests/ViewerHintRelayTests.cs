using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using Lilium.Auth;
using Lilium.Client;
using Lilium.Client.Media;
using Lilium.Protocol.Control;
using Lilium.Relay.Media;
using Lilium.Testing.WebRtc;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Srtp;

namespace Lilium.Relay.Tests;

/// <summary>
/// A viewer's video hint end to end (docs/input.md, "Control channel"; docs/relay.md, "Simulcast"): a synthetic
/// simulcast publisher sends three VP8 layers whose keyframes announce 320×180, 640×360 and 1280×720 (keyframes only at
/// the start and when the relay asks, on that layer's SSRC) and an audio stream; the SDK's viewer sends its hints on its
/// <c>control</c> data channel over real DTLS and SCTP. A box picks the lowest layer that covers it; paused stops the
/// video while the audio goes on; resuming brings a keyframe back at once; malformed hints are answered with an error
/// and change nothing.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ViewerHintRelayTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private static readonly string[] Rids = ["q", "h", "f"];
    private static readonly uint[] Ssrcs = [0x52000001, 0x52000002, 0x52000003];
    private static readonly (int Width, int Height)[] Sizes = [(320, 180), (640, 360), (1280, 720)];
    private static readonly int[] PacketsPerFrame = [1, 2, 4];
    private const uint AudioSsrc = 2487031246; // announced in TestOffers.Publisher
    private const byte AudioPayloadType = 96;

    [Fact]
    public async Task A_box_picks_the_covering_layer_paused_stops_video_and_resume_brings_a_keyframe_at_once()
    {
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host, TestOffers.WithSimulcast);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        var sending = PublishAsync(publisher, stop.Token);

        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Viewer));
        var peer = relay.Registry.FindSession(session)!.Subscribers.Single();
        var track = peer.TrackFor("video")!;

        // No hint: the estimate alone (unconstrained on loopback) takes the full layer; every layer's size is learnt.
        await WaitUntilAsync(() => track.CurrentLayer == 2 && viewer.VideoStats.Packets > 0, TimeSpan.FromSeconds(10), "the full layer");
        Assert.Equal(Sizes, publisher.Peer.Streams.Where(s => s.Simulcast is not null).Select(s => (s.Width, s.Height)));

        // A 640 × 400 box (the element's CSS size × devicePixelRatio): 640 × 360 fills its width — the medium layer, at once.
        var applied = await viewer.SetVideoHintAsync(paused: false, maxWidth: 640, maxHeight: 400);
        Assert.Equal((ControlTypes.VideoApplied, false, 640, 400), (applied.Type, applied.Paused, applied.MaxWidth, applied.MaxHeight));
        var clock = Stopwatch.StartNew();
        await WaitUntilAsync(() => track.CurrentLayer == 1, TimeSpan.FromSeconds(2), "the medium layer");
        output.WriteLine($"box 640×400: on the medium layer after {clock.ElapsedMilliseconds} ms");

        // A thumbnail: the low layer.
        await viewer.SetVideoHintAsync(paused: false, maxWidth: 300, maxHeight: 170);
        clock.Restart();
        await WaitUntilAsync(() => track.CurrentLayer == 0, TimeSpan.FromSeconds(2), "the low layer");
        output.WriteLine($"box 300×170: on the low layer after {clock.ElapsedMilliseconds} ms");

        // Paused: no video reaches the viewer (after what was in flight), the audio goes on.
        applied = await viewer.SetVideoHintAsync(paused: true);
        Assert.True(applied.Paused);
        await Task.Delay(300, stop.Token);
        var (videoBefore, audioBefore, sentBefore) = (viewer.VideoStats.Packets, viewer.AudioPacketsReceived, track.PacketsSent);
        await Task.Delay(1_500, stop.Token);
        var (videoAfter, audioAfter, sentAfter) = (viewer.VideoStats.Packets, viewer.AudioPacketsReceived, track.PacketsSent);
        output.WriteLine($"paused 1.5 s: video packets {videoBefore}→{videoAfter} (relay sent {sentBefore}→{sentAfter}), audio {audioBefore}→{audioAfter}");
        Assert.Equal(sentBefore, sentAfter);
        Assert.Equal(videoBefore, videoAfter);
        Assert.True(audioAfter - audioBefore >= 30, $"audio {audioBefore}→{audioAfter}");

        // Resumed (no box: no cap): the next frame the viewer gets is a keyframe, within 500 ms.
        while (viewer.VideoFrames.TryRead(out _))
        {
        }

        clock.Restart();
        await viewer.SetVideoHintAsync(paused: false);
        using var frameWait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
        frameWait.CancelAfter(TimeSpan.FromSeconds(2));
        var first = await viewer.VideoFrames.ReadAsync(frameWait.Token);
        output.WriteLine($"resumed: first frame after {clock.ElapsedMilliseconds} ms, keyframe {first.IsKeyframe}");
        Assert.True(first.IsKeyframe);
        Assert.True(clock.ElapsedMilliseconds < 500, $"{clock.ElapsedMilliseconds} ms");
        Assert.True(track.PacketsSent > sentAfter);

        // Malformed hints: an error with a code each, and the hint in force stays.
        var hintBefore = peer.VideoHint;
        var refused = await Assert.ThrowsAsync<LiliumException>(() => viewer.SendControlAsync("""{"type":"video","maxWidth":0}"""));
        Assert.Contains("bad-request", refused.Message, StringComparison.Ordinal);
        refused = await Assert.ThrowsAsync<LiliumException>(() => viewer.SendControlAsync("""{"type":"video","paused":"yes"}"""));
        Assert.Contains("bad-json", refused.Message, StringComparison.Ordinal);
        refused = await Assert.ThrowsAsync<LiliumException>(() => viewer.SendControlAsync("""{"type":"grant","viewer":"00000000-0000-0000-0000-000000000001","permissions":{}}"""));
        Assert.Contains("unknown-type", refused.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = viewer.SetVideoHintAsync(false, maxWidth: 20_000); }); // refused before it is sent
        Assert.Same(hintBefore, peer.VideoHint);

        // Still served after the refusals: a new box applies.
        await viewer.SetVideoHintAsync(paused: false, maxWidth: 640, maxHeight: 360);
        Assert.Equal(new ViewerVideoHint(false, 640, 360), peer.VideoHint);

        await stop.CancelAsync();
        await sending;
        publisher.Socket.Dispose();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < limit, $"not on {what} after {limit.TotalSeconds} s");
            await Task.Delay(20);
        }
    }

    /// <summary>30 frames a second on each layer (a keyframe when asked, by PLI on its SSRC) and an Opus packet per frame.</summary>
    private async Task PublishAsync(SyntheticPeer.Connected publisher, CancellationToken stop)
    {
        var wantKeyframe = new[] { true, true, true };
        var reading = publisher.ReadRtcpAsync(packet =>
        {
            if (RtcpFeedback.TryRead(packet, out var feedback, out _) && feedback.IsPli && Array.IndexOf(Ssrcs, feedback.MediaSsrc) is var layer and >= 0)
            {
                Volatile.Write(ref wantKeyframe[layer], true);
            }
        }, stop);

        using var srtp = SrtpSession.ForSending(publisher.Keys);
        var seq = new ushort[] { 100, 20_000, 50_000 };
        var audioSeq = (ushort)7;
        var buffer = new byte[1500];
        var clock = Stopwatch.StartNew();
        for (var frame = 0; !stop.IsCancellationRequested; frame++)
        {
            for (var layer = 0; layer < 3; layer++)
            {
                var keyframe = Interlocked.Exchange(ref wantKeyframe[layer], false);
                var ts = (uint)(layer * 1_000_000_000 + frame * 3000);
                for (var p = 0; p < PacketsPerFrame[layer]; p++)
                {
                    var payload = new byte[800];
                    payload[0] = (byte)(p == 0 ? 0x10 : 0x00); // VP8 descriptor: S on the frame's first packet
                    if (p == 0 && keyframe)
                    {
                        // RFC 6386 §9.1: frame tag (key frame, shown), start code, 14-bit width and height
                        payload[1] = 0x30;
                        payload[2] = 0x51;
                        payload[3] = 0x00;
                        payload[4] = 0x9d;
                        payload[5] = 0x01;
                        payload[6] = 0x2a;
                        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(7), (ushort)Sizes[layer].Width);
                        BinaryPrimitives.WriteUInt16LittleEndian(payload.AsSpan(9), (ushort)Sizes[layer].Height);
                    }
                    else
                    {
                        payload[1] = 0x01; // P: an interframe
                    }

                    Send(SimulcastPackets.Build(Ssrcs[layer], seq[layer]++, ts, Rids[layer], repaired: false, payload, marker: p == PacketsPerFrame[layer] - 1));
                }
            }

            var opus = new byte[12 + 60];
            opus[0] = 0x80;
            opus[1] = AudioPayloadType;
            BinaryPrimitives.WriteUInt16BigEndian(opus.AsSpan(2), audioSeq++);
            BinaryPrimitives.WriteUInt32BigEndian(opus.AsSpan(4), (uint)(frame * 1600));
            BinaryPrimitives.WriteUInt32BigEndian(opus.AsSpan(8), AudioSsrc);
            opus[12] = 0xFC;
            Send(opus);

            var due = TimeSpan.FromMilliseconds((frame + 1) * 1000.0 / 30);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, CancellationToken.None);
            }
        }

        await reading;

        void Send(byte[] packet)
        {
            packet.CopyTo(buffer, 0);
            Assert.True(srtp.TryProtectRtp(buffer, packet.Length, out var length));
            publisher.Socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
        }
    }
}
