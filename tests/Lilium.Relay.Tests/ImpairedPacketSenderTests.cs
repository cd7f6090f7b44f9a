using System.Buffers.Binary;
using System.Net;
using Lilium.Relay.Media;
using Lilium.Relay.Observability;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;

namespace Lilium.Relay.Tests;

/// <summary>The test-only send impairment: seeded, bounded, and only for viewers that asked for it.</summary>
[Trait("Category", "Unit")]
public sealed class ImpairedPacketSenderTests
{
    private static readonly DtlsFingerprint Fingerprint = DtlsFingerprint.Sha256([1, 2, 3]);
    private static readonly PeerPath Path = new(new IPEndPoint(IPAddress.Loopback, 5000), null);

    [Fact]
    public void Drops_the_configured_share_after_the_grace_and_repeats_with_the_same_seed()
    {
        var (first, firstInner) = Impaired(new SendImpairment(LossPercent: 20, GracePackets: 10, Seed: 3));
        var (second, secondInner) = Impaired(new SendImpairment(LossPercent: 20, GracePackets: 10, Seed: 3));
        var peer = Peer(impairable: true);
        for (ushort i = 0; i < 1000; i++)
        {
            Commit(first, peer, ssrc: 42, seq: i);
            Commit(second, peer, ssrc: 42, seq: i);
        }

        var delivered = firstInner.Sequences(42);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (ushort)i), delivered.Take(10)); // the grace passes whole
        Assert.InRange(first.Dropped, 140, 260); // 20 % of 990, seeded
        Assert.Equal(1000 - first.Dropped, delivered.Count);
        Assert.Equal(delivered, secondInner.Sequences(42)); // same seed, same losses
    }

    [Fact]
    public void Leaves_viewers_that_did_not_ask_untouched()
    {
        var (sender, inner) = Impaired(new SendImpairment(LossPercent: 100, GracePackets: 0, MaxDelayMs: 100));
        var peer = Peer(impairable: false);
        for (ushort i = 0; i < 100; i++)
        {
            Commit(sender, peer, ssrc: 7, seq: i);
        }

        sender.Flush();
        Assert.Equal(100, inner.Sequences(7).Count);
        Assert.Equal(0, sender.Dropped);
    }

    [Fact]
    public void Delays_packets_until_they_are_due_then_sends_them_at_a_flush()
    {
        var clock = new ManualClock();
        var (sender, inner) = Impaired(new SendImpairment(LossPercent: 0, MaxDelayMs: 50, Seed: 11), clock);
        var peer = Peer(impairable: true);
        for (ushort i = 0; i < 40; i++)
        {
            Commit(sender, peer, ssrc: 9, seq: i);
        }

        sender.Flush();
        var atOnce = inner.Sequences(9).Count;
        Assert.True(atOnce < 10, $"{atOnce} of 40 left without delay"); // only a zero draw of 0…50 ms leaves at once
        clock.Advance(TimeSpan.FromMilliseconds(25));
        sender.Flush();
        var half = inner.Sequences(9).Count;
        Assert.InRange(half, atOnce + 1, 39);
        clock.Advance(TimeSpan.FromMilliseconds(26));
        sender.Flush();
        var all = inner.Sequences(9);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (ushort)i), all.Order()); // every packet, none twice
        Assert.NotEqual(all.Order(), all); // and reordered, as random delays do
        Assert.Equal(40, sender.DelayedPackets);
    }

    [Fact]
    public void Holds_at_most_the_delay_queue_cap_and_drops_beyond_it()
    {
        var (sender, inner) = Impaired(new SendImpairment(LossPercent: 0, MaxDelayMs: 60_000), new ManualClock());
        var peer = Peer(impairable: true);
        for (var i = 0; i < SendImpairment.MaxDelayed + 100; i++)
        {
            Commit(sender, peer, ssrc: 5, seq: (ushort)i);
        }

        Assert.True(sender.Dropped >= 100, $"dropped {sender.Dropped}");
        Assert.True(sender.DelayedPackets <= SendImpairment.MaxDelayed + inner.Sequences(5).Count);
    }

    private static (ImpairedPacketSender Sender, RecordingSender Inner) Impaired(SendImpairment impairment, TimeProvider? time = null)
    {
        var inner = new RecordingSender();
        return (new ImpairedPacketSender(inner, impairment, new RelayMetrics(new SessionRegistry()), time ?? new ManualClock()), inner);
    }

    private static MediaPeer Peer(bool impairable) =>
        new(Guid.NewGuid(), PeerRole.Subscriber, new RelaySession(Guid.NewGuid()), IceCredentials.Generate(), "remote", Fingerprint, [], impairable);

    private static void Commit(IPacketSender sender, MediaPeer peer, uint ssrc, ushort seq)
    {
        var slot = sender.Reserve();
        slot[0] = 0x80;
        slot[1] = 96;
        BinaryPrimitives.WriteUInt16BigEndian(slot[2..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(slot[8..], ssrc);
        sender.Commit(peer, Path, 12 + 16);
    }

    /// <summary>An inner sender that keeps what was committed (the socket's sender would send it).</summary>
    private sealed class RecordingSender : IPacketSender
    {
        private readonly byte[] _slot = new byte[UdpBatchSender.SlotSize];
        private readonly List<byte[]> _committed = [];

        public List<ushort> Sequences(uint ssrc) =>
            _committed.Where(p => BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(8)) == ssrc)
                .Select(p => BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(2))).ToList();

        public Span<byte> Reserve() => _slot;

        public void Commit(MediaPeer peer, PeerPath path, int length) => _committed.Add(_slot[..length]);

        public void Flush()
        {
        }

        public void Send(PeerPath path, ReadOnlySpan<byte> packet) => _committed.Add(packet.ToArray());

        public void SendDatagram(IPEndPoint remote, ReadOnlySpan<byte> datagram) => _committed.Add(datagram.ToArray());
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
