using System.Security.Cryptography;
using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.Tests;

[Trait("Category", "Unit")]
public sealed class SctpAssociationTests
{
    private const uint Binary = 53;

    private static byte[] Message(int i, int size = 16)
    {
        var m = new byte[size];
        BitConverter.TryWriteBytes(m, i);
        for (var k = 4; k < size; k++)
        {
            m[k] = (byte)(i + k);
        }

        return m;
    }

    [Fact]
    public void Four_way_handshake_establishes_both_sides()
    {
        var link = SctpTestLink.Connected();
        Assert.Equal(SctpState.Established, link.A.Association.State);
        Assert.Equal(SctpState.Established, link.B.Association.State);
        Assert.Equal(4, link.Delivered); // INIT, INIT ACK, COOKIE ECHO, COOKIE ACK
    }

    [Fact]
    public void Setup_survives_lost_init_and_lost_cookie_echo()
    {
        var link = new SctpTestLink();
        var lostInit = false;
        var lostEcho = false;
        link.DropAtoB = p =>
        {
            var type = (SctpChunkType)p[12];
            if (type == SctpChunkType.Init && !lostInit) { lostInit = true; return true; }
            if (type == SctpChunkType.CookieEcho && !lostEcho) { lostEcho = true; return true; }
            return false;
        };
        link.A.Association.Connect(link.Now);
        Assert.True(link.RunUntil(() => link.A.Established && link.B.Established, 20_000));
        Assert.True(lostInit && lostEcho);
    }

    [Fact]
    public void Ordered_reliable_messages_arrive_in_order_both_ways()
    {
        var link = SctpTestLink.Connected();
        for (var i = 0; i < 200; i++)
        {
            Assert.True(link.A.Association.Send(1, Binary, Message(i), SctpSendOptions.Reliable, link.Now));
            Assert.True(link.B.Association.Send(2, Binary, Message(1000 + i), SctpSendOptions.Reliable, link.Now));
        }

        Assert.True(link.RunUntil(() => link.B.Received.Count == 200 && link.A.Received.Count == 200, 10_000));
        Assert.Equal(Enumerable.Range(0, 200).Select(i => Message(i)), link.B.Received.Select(r => r.Data));
        Assert.Equal(Enumerable.Range(1000, 200).Select(i => Message(i)), link.A.Received.Select(r => r.Data));
        Assert.All(link.B.Received, r => Assert.Equal((ushort)1, r.Stream));
        Assert.Equal(0, link.A.Association.BufferedAmount);
    }

    [Fact]
    public void A_peer_that_stops_acknowledging_cannot_grow_the_send_queue_past_its_bound()
    {
        var link = SctpTestLink.Connected(new SctpOptions { MaxBufferedAmount = 64 * 1024 });
        link.DropBtoA = _ => true; // B's SACKs never arrive: nothing A sends is ever acknowledged.
        var accepted = 0;
        for (var i = 0; i < 1000; i++)
        {
            if (link.A.Association.Send(1, Binary, Message(i, 1000), SctpSendOptions.Reliable, link.Now))
            {
                accepted++;
            }

            link.Step();
        }

        Assert.Equal(65, accepted); // 64 KiB of 1000-byte messages (65,000 bytes ≤ 65,536), then refusals
        Assert.True(link.A.Association.BufferedAmount <= 64 * 1024);
        Assert.Equal(1000 - accepted, link.A.Association.Stats.SendsRefused);

        // Acknowledgements flowing again drain the queue, and sends are accepted again.
        link.DropBtoA = _ => false;
        Assert.True(link.RunUntil(() => link.A.Association.BufferedAmount == 0, 60_000));
        Assert.True(link.A.Association.Send(1, Binary, Message(2000, 1000), SctpSendOptions.Reliable, link.Now));
    }

    [Fact]
    public void Abandoned_partially_reliable_messages_free_their_room_in_the_send_queue()
    {
        var link = SctpTestLink.Connected(new SctpOptions { MaxBufferedAmount = 16 * 1024 });
        link.DropAtoB = p => (SctpChunkType)p[12] == SctpChunkType.Data; // no DATA gets through
        var unreliable = new SctpSendOptions { Unordered = true, MaxRetransmits = 0 };
        for (var i = 0; i < 16; i++)
        {
            Assert.True(link.A.Association.Send(2, Binary, Message(i, 1000), unreliable, link.Now));
        }

        Assert.False(link.A.Association.Send(2, Binary, Message(99, 1000), unreliable, link.Now));
        link.DropAtoB = _ => false;
        Assert.True(link.RunUntil(() => link.A.Association.BufferedAmount == 0, 30_000));
        Assert.True(link.A.Association.Send(2, Binary, Message(100, 1000), unreliable, link.Now));
    }

    [Fact]
    public void Large_messages_are_fragmented_and_reassembled()
    {
        var link = SctpTestLink.Connected();
        var big = RandomNumberGenerator.GetBytes(200_000);
        Assert.True(link.A.Association.Send(3, Binary, big, SctpSendOptions.Reliable, link.Now));
        Assert.True(link.RunUntil(() => link.B.Received.Count == 1, 10_000));
        Assert.Equal(big, link.B.Received[0].Data);
        Assert.True(link.A.Association.Stats.DataChunksSent > 100);
    }

    [Fact]
    public void Messages_over_the_maximum_size_are_refused()
    {
        var link = SctpTestLink.Connected();
        Assert.False(link.A.Association.Send(1, Binary, new byte[300_000], SctpSendOptions.Reliable, link.Now));
        Assert.False(link.A.Association.Send(1, Binary, [], SctpSendOptions.Reliable, link.Now));
    }

    [Theory]
    [InlineData(1, 0.2)]
    [InlineData(2, 0.35)]
    [InlineData(3, 0.1)]
    public void Reliable_ordered_delivery_holds_under_random_loss(int seed, double loss)
    {
        var link = SctpTestLink.Connected();
        var rng = new Random(seed);
        link.DropAtoB = _ => rng.NextDouble() < loss;
        link.DropBtoA = _ => rng.NextDouble() < loss;
        for (var i = 0; i < 300; i++)
        {
            link.A.Association.Send(1, Binary, Message(i, 1 + (i * 37 % 3000)), SctpSendOptions.Reliable, link.Now);
        }

        Assert.True(link.RunUntil(() => link.B.Received.Count == 300, 600_000));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => Message(i, 1 + (i * 37 % 3000))), link.B.Received.Select(r => r.Data));
        Assert.True(link.A.Association.Stats.Retransmissions > 0);
        Assert.Equal(SctpState.Established, link.A.Association.State);
    }

    [Fact]
    public void Unordered_messages_are_delivered_without_waiting_for_earlier_losses()
    {
        var link = SctpTestLink.Connected();
        var dropFirst = true;
        link.DropAtoB = p => { if (dropFirst && (SctpChunkType)p[12] == SctpChunkType.Data) { dropFirst = false; return true; } return false; };
        link.A.Association.Send(1, Binary, Message(0), new SctpSendOptions(Unordered: true), link.Now);
        link.A.Association.Send(1, Binary, Message(1), new SctpSendOptions(Unordered: true), link.Now);
        link.Step();
        Assert.Equal([Message(1)], link.B.Received.Select(r => r.Data));
        Assert.True(link.RunUntil(() => link.B.Received.Count == 2, 10_000));
        Assert.Equal(Message(0), link.B.Received[1].Data);
    }

    [Fact]
    public void Ordered_messages_wait_for_a_lost_predecessor()
    {
        var link = SctpTestLink.Connected();
        var dropFirst = true;
        link.DropAtoB = p => { if (dropFirst && (SctpChunkType)p[12] == SctpChunkType.Data) { dropFirst = false; return true; } return false; };
        link.A.Association.Send(1, Binary, Message(0), SctpSendOptions.Reliable, link.Now);
        link.A.Association.Send(1, Binary, Message(1), SctpSendOptions.Reliable, link.Now);
        link.Step();
        Assert.Empty(link.B.Received);
        Assert.True(link.RunUntil(() => link.B.Received.Count == 2, 10_000));
        Assert.Equal([Message(0), Message(1)], link.B.Received.Select(r => r.Data));
    }

    [Fact]
    public void Max_retransmits_zero_abandons_lost_data_and_forward_tsn_unblocks_the_receiver()
    {
        var link = SctpTestLink.Connected();
        var blackhole = true;
        link.DropAtoB = p => blackhole && (SctpChunkType)p[12] == SctpChunkType.Data;
        var unreliable = new SctpSendOptions(Unordered: false, MaxRetransmits: 0);
        link.A.Association.Send(7, Binary, Message(0), unreliable, link.Now);
        link.A.Association.Send(7, Binary, Message(1), unreliable, link.Now);
        link.Step();
        blackhole = false;
        link.A.Association.Send(7, Binary, Message(2), unreliable, link.Now);

        Assert.True(link.RunUntil(() => link.B.Received.Count == 1 && link.A.Association.BufferedAmount == 0, 30_000));
        Assert.Equal([Message(2)], link.B.Received.Select(r => r.Data));
        Assert.Equal(2, link.A.Association.Stats.AbandonedChunks);
        Assert.Equal(0, link.A.Association.Stats.Retransmissions);

        // The stream still works afterwards.
        link.A.Association.Send(7, Binary, Message(3), unreliable, link.Now);
        Assert.True(link.RunUntil(() => link.B.Received.Count == 2, 10_000));
    }

    [Fact]
    public void Lifetime_abandons_data_that_cannot_be_delivered_in_time()
    {
        var link = SctpTestLink.Connected();
        var blackhole = true;
        link.DropAtoB = p => blackhole && (SctpChunkType)p[12] == SctpChunkType.Data;
        link.A.Association.Send(1, Binary, Message(0), new SctpSendOptions(Unordered: true, LifetimeMs: 50), link.Now);
        link.Step();
        link.Advance(100);
        blackhole = false;
        link.A.Association.Send(1, Binary, Message(1), new SctpSendOptions(Unordered: true, LifetimeMs: 50), link.Now);
        Assert.True(link.RunUntil(() => link.A.Association.BufferedAmount == 0, 30_000));
        Assert.Equal([Message(1)], link.B.Received.Select(r => r.Data));
    }

    [Fact]
    public void Stream_reset_reaches_the_peer_and_restarts_sequence_numbers()
    {
        var link = SctpTestLink.Connected();
        link.A.Association.Send(4, Binary, Message(0), SctpSendOptions.Reliable, link.Now);
        link.A.Association.ResetStreams([4], link.Now);
        Assert.True(link.RunUntil(() => link.B.ResetStreams.Contains((ushort)4), 10_000));
        Assert.Single(link.B.Received);

        // A reused stream starts again at SSN 0 and is delivered.
        link.A.Association.Send(4, Binary, Message(1), SctpSendOptions.Reliable, link.Now);
        Assert.True(link.RunUntil(() => link.B.Received.Count == 2, 10_000));
    }

    [Fact]
    public void Abort_closes_both_sides()
    {
        var link = SctpTestLink.Connected();
        link.A.Association.Abort("test");
        link.Step();
        Assert.Equal("test", link.A.ClosedReason);
        Assert.NotNull(link.B.ClosedReason);
        Assert.Equal(SctpState.Closed, link.B.Association.State);
    }

    [Fact]
    public void Shutdown_waits_for_outstanding_data_then_closes_both_sides()
    {
        var link = SctpTestLink.Connected();
        link.A.Association.Send(1, Binary, Message(0, 5000), SctpSendOptions.Reliable, link.Now);
        link.A.Association.Shutdown(link.Now);
        Assert.True(link.RunUntil(() => link.A.ClosedReason is not null && link.B.ClosedReason is not null, 10_000));
        Assert.Single(link.B.Received);
    }

    [Fact]
    public void An_unreachable_peer_is_declared_dead()
    {
        var link = SctpTestLink.Connected(new SctpOptions { MaxAssociationRetransmits = 3 });
        link.DropAtoB = _ => true;
        link.A.Association.Send(1, Binary, Message(0), SctpSendOptions.Reliable, link.Now);
        Assert.True(link.RunUntil(() => link.A.ClosedReason is not null, 600_000));
    }

    [Fact]
    public void Idle_associations_exchange_heartbeats_and_stay_up()
    {
        var link = SctpTestLink.Connected(new SctpOptions { HeartbeatIntervalMs = 1_000 });
        var before = link.Delivered;
        link.RunUntil(() => false, 10_000);
        Assert.True(link.Delivered - before >= 10);
        Assert.Null(link.A.ClosedReason);
        Assert.Null(link.B.ClosedReason);
    }

    [Fact]
    public void Sacks_are_delayed_for_one_in_order_packet_and_immediate_for_the_second_or_a_gap()
    {
        var link = SctpTestLink.Connected();
        var a = link.A.Association;
        var b = link.B;
        link.A.Outbox.Clear();
        link.B.Outbox.Clear();

        a.Send(1, 53, "one"u8, SctpSendOptions.Reliable, link.Now);
        b.Association.HandlePacket(link.A.Outbox.Dequeue(), link.Now);
        Assert.Empty(b.Outbox); // delayed (RFC 4960 §6.2)
        Assert.Equal(link.Now + new SctpOptions().SackDelayMs, b.Association.NextTimeoutMs);

        a.Send(1, 53, "two"u8, SctpSendOptions.Reliable, link.Now);
        b.Association.HandlePacket(link.A.Outbox.Dequeue(), link.Now);
        Assert.Single(b.Outbox); // every second packet
        b.Outbox.Clear();

        a.Send(1, 53, "three"u8, SctpSendOptions.Reliable, link.Now);
        a.Send(1, 53, "four"u8, SctpSendOptions.Reliable, link.Now);
        var three = link.A.Outbox.Dequeue();
        var four = link.A.Outbox.Dequeue();
        b.Association.HandlePacket(four, link.Now);
        Assert.Single(b.Outbox); // out of order: at once
        b.Outbox.Clear();
        b.Association.HandlePacket(three, link.Now);
        Assert.Single(b.Outbox); // fills the gap: at once
        Assert.Equal(4, b.Received.Count);

        b.Outbox.Clear();
        a.Send(1, 53, "five"u8, SctpSendOptions.Reliable, link.Now);
        b.Association.HandlePacket(link.A.Outbox.Dequeue(), link.Now);
        Assert.Empty(b.Outbox);
        b.Association.HandleTimeout(link.Now + new SctpOptions().SackDelayMs);
        Assert.Single(b.Outbox); // the delay ran out
    }
}
