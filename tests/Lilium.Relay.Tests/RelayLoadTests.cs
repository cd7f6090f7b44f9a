using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Lilium.Auth;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;
using Lilium.WebRtc;

namespace Lilium.Relay.Tests;

/// <summary>
/// A small fan-out measurement with synthetic SRTP peers (our STUN + DTLS client + SRTP): one
/// publisher at ~250 packets/s of 1,200-byte packets (a 1080p screen share at ~2.5 Mbit/s) and N
/// subscribers. Asserts delivery and latency bounds and prints the numbers. N and the duration scale
/// with LILIUM_RELAY_LOAD_SUBSCRIBERS / LILIUM_RELAY_LOAD_SECONDS for manual measurement.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RelayLoadTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private const uint VideoSsrc = 3434957552;
    private const int PacketSize = 1200;

    [Fact]
    public async Task Fan_out_to_synthetic_subscribers_delivers_everything_with_low_added_latency()
    {
        var subscribers = Env("LILIUM_RELAY_LOAD_SUBSCRIBERS", 8);
        var seconds = Env("LILIUM_RELAY_LOAD_SECONDS", 2);
        var session = Guid.NewGuid();
        var publisher = await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Host);
        var viewers = new List<SyntheticPeer.Connected>();
        for (var i = 0; i < subscribers; i++)
        {
            viewers.Add(await SyntheticPeer.ConnectAsync(relay, session, RelayRole.Viewer));
        }

        using var stop = new CancellationTokenSource();
        foreach (var v in viewers)
        {
            v.Socket.ReceiveBufferSize = 1 << 20;
        }

        var receivers = viewers.Select(v => Receive(v, stop.Token)).ToArray();
        using var srtp = SrtpSession.ForSending(publisher.Keys);
        var packet = new byte[PacketSize + 16];
        var total = 250 * seconds;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            // 12-byte RTP header; VP8 descriptor S=1 PID=0 and a key-frame payload header so tracks start at once.
            packet.AsSpan().Clear();
            packet[0] = 0x80;
            packet[1] = (byte)(97 | (i % 8 == 7 ? 0x80 : 0));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)i);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), (uint)(i / 8 * 3000));
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(8), VideoSsrc);
            packet[12] = 0x10;
            packet[13] = 0x00;
            BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(16), Stopwatch.GetTimestamp());
            Assert.True(srtp.TryProtectRtp(packet, PacketSize, out var length));
            publisher.Socket.SendTo(packet.AsSpan(0, length), SocketFlags.None, relay.MediaEndPoint);
            var due = TimeSpan.FromMilliseconds((i + 1) * 4.0);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }
        }

        await Task.Delay(300);
        await stop.CancelAsync();
        var results = await Task.WhenAll(receivers);

        var latencies = results.SelectMany(r => r.LatenciesMs).Order().ToArray();
        var received = results.Sum(r => r.Packets);
        var expected = (long)total * subscribers;
        var lossPct = 100.0 * (expected - received) / expected;
        var p50 = latencies.Length > 0 ? latencies[latencies.Length / 2] : double.NaN;
        var p99 = latencies.Length > 0 ? latencies[(int)(latencies.Length * 0.99)] : double.NaN;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"subscribers={subscribers} seconds={seconds} sent={total} received={received}/{expected} loss={lossPct:F3}% p50={p50:F3}ms p99={p99:F3}ms"));

        output.WriteLine("per subscriber: " + string.Join(' ', results.Select(r => r.Packets)) + $"; relay dropped {relay.Metrics.DroppedCount}, in/out {(await relay.Metrics.RenderAsync()).Split('\n').Where(l => l.StartsWith("lilium_relay_packets", StringComparison.Ordinal)).Aggregate((a, b) => a + " " + b)}");

        // Loopback drops nothing by itself; the margins absorb scheduling stalls on a shared 2-core machine.
        Assert.All(results, r => Assert.True(r.Packets >= total * 0.95, $"a subscriber got {r.Packets} of {total}"));
        Assert.True(p50 < 20, $"median added latency {p50:F3} ms");

        // Each video track opens with the sequence anchor: padding only, numbered just before the keyframe's first
        // packet, same SSRC and timestamp (so a lost first packet would be a visible, NACKable gap).
        Assert.All(results, r =>
        {
            Assert.NotNull(r.First);
            Assert.NotNull(r.FirstMedia);
            var (anchor, media) = (r.First!.Value, r.FirstMedia!.Value);
            Assert.True(anchor.Padding);
            Assert.Equal(0, anchor.PayloadLength);
            Assert.Equal((ushort)(anchor.SequenceNumber + 1), media.SequenceNumber);
            Assert.Equal(media.Timestamp, anchor.Timestamp);
            Assert.Equal(media.Ssrc, anchor.Ssrc);
        });
        foreach (var v in viewers.Append(publisher))
        {
            v.Socket.Dispose();
        }
    }

    private static async Task<ReceiverResult> Receive(SyntheticPeer.Connected viewer, CancellationToken stop)
    {
        using var srtp = SrtpSession.ForReceiving(viewer.Keys);
        var buffer = new byte[2048];
        var latencies = new List<double>();
        var packets = 0;
        RtpHeader? first = null, firstMedia = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var n = await viewer.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                var now = Stopwatch.GetTimestamp();
                if (PacketDemux.Classify(buffer.AsSpan(0, n)) != PacketKind.Rtp
                    || !srtp.TryUnprotectRtp(buffer, n, out var plain) || !RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header))
                {
                    continue;
                }

                first ??= header;
                if (header.PayloadLength < 12)
                {
                    continue;
                }

                firstMedia ??= header;

                packets++;
                var sent = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(header.HeaderLength + 4));
                latencies.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
            }
        }
        catch (OperationCanceledException)
        {
        }

        return new ReceiverResult(packets, latencies, first, firstMedia);
    }

    private static int Env(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 ? v : fallback;

    private sealed record ReceiverResult(int Packets, List<double> LatenciesMs, RtpHeader? First, RtpHeader? FirstMedia);
}
