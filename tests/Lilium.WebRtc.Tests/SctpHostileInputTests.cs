using System.Buffers.Binary;
using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Hostile SCTP input never throws, never closes a healthy association and never makes it buffer
/// without bound: random bytes, mutations of real packets, truncations, oversized and out-of-window
/// chunks, bogus stream ids, forged tags.
/// </summary>
[Trait("Category", "Unit")]
public sealed class SctpHostileInputTests
{
    private static byte[] Seal(uint tag, params byte[][] chunks)
    {
        var length = SctpCommonHeader.Size + chunks.Sum(c => SctpChunk.Padded(c.Length));
        var packet = new byte[length];
        new SctpCommonHeader(5000, 5000, tag).WriteTo(packet);
        var at = SctpCommonHeader.Size;
        foreach (var c in chunks)
        {
            c.CopyTo(packet, at);
            at += SctpChunk.Padded(c.Length);
        }

        SctpCommonHeader.Seal(packet);
        return packet;
    }

    private static byte[] Chunk(SctpChunkType type, byte flags, byte[] value)
    {
        var c = new byte[SctpChunk.Padded(4 + value.Length)];
        SctpChunk.WriteHeader(c, type, flags, value.Length);
        value.CopyTo(c, 4);
        return c[..(4 + value.Length)];
    }

    private static byte[] Data(uint tsn, ushort sid, ushort ssn, DataChunkFlags flags, int size)
    {
        var c = new byte[DataChunk.Size(size)];
        var n = DataChunk.Write(c, flags, tsn, sid, ssn, 53, new byte[size]);
        return c[..(4 + 12 + size)];
    }

    private static void AssertStillWorks(SctpTestLink link)
    {
        var before = link.B.Received.Count;
        Assert.True(link.A.Association.Send(1, 53, "still alive"u8, SctpSendOptions.Reliable, link.Now));
        Assert.True(link.RunUntil(() => link.B.Received.Count == before + 1, 30_000));
        Assert.Equal(SctpState.Established, link.A.Association.State);
        Assert.Equal(SctpState.Established, link.B.Association.State);
    }

    // A forged DATA chunk with a valid tag may claim a TSN the real sender has not used yet; B delivers it,
    // and A's genuine chunk with that TSN is then a duplicate to B (RFC 9260 §6.2): SCTP trusts its peer,
    // and only the DTLS-authenticated peer can do this, to its own association. So "still works" means: every
    // genuine chunk is either delivered or counted as a duplicate of a forged one, and the association keeps
    // delivering (the seeded mutations hit different TSNs in each run, since tags and initial TSNs are random).
    private static void AssertNotWedgedAfterForgedData(SctpTestLink link)
    {
        const int Messages = 300;
        var before = link.B.Received.Count;
        var duplicatesBefore = link.B.Association.Stats.DuplicateChunks;
        for (var i = 0; i < Messages; i++)
        {
            Assert.True(link.A.Association.Send(1, 53, BitConverter.GetBytes(0x0A11_0000 + i), new SctpSendOptions(Unordered: true), link.Now));
            link.RunUntil(() => false, 50);
        }

        link.RunUntil(() => false, 5_000);
        var genuine = link.B.Received.Skip(before).Count(r => r.Data.Length == 4 && BitConverter.ToInt32(r.Data) >> 16 == 0x0A11);
        var duplicates = link.B.Association.Stats.DuplicateChunks - duplicatesBefore;
        Assert.True(genuine + duplicates >= Messages, $"{genuine} delivered + {duplicates} duplicates of forged TSNs < {Messages} sent");
        Assert.True(genuine >= Messages / 2, $"only {genuine} of {Messages} delivered");
        Assert.Equal(SctpState.Established, link.A.Association.State);
        Assert.Equal(SctpState.Established, link.B.Association.State);
    }

    [Fact]
    public void Random_datagrams_are_dropped()
    {
        var link = SctpTestLink.Connected();
        var rng = new Random(42);
        for (var i = 0; i < 20_000; i++)
        {
            var junk = new byte[rng.Next(0, 1500)];
            rng.NextBytes(junk);
            link.B.Association.HandlePacket(junk, link.Now);
        }

        Assert.Equal(0, link.B.Association.Stats.PacketsReceived - 2); // only the handshake's INIT and COOKIE ECHO counted
        AssertStillWorks(link);
    }

    [Fact]
    public void Mutated_real_packets_with_valid_checksums_never_throw()
    {
        var link = SctpTestLink.Connected();
        var captured = new List<byte[]>();
        link.DropAtoB = p => { captured.Add(p); return false; };
        for (var i = 0; i < 50; i++)
        {
            link.A.Association.Send((ushort)(i % 3), 53, new byte[1 + (i * 97 % 2500)], new SctpSendOptions(Unordered: i % 2 == 0), link.Now);
        }

        link.A.Association.ResetStreams([2], link.Now);
        Assert.True(link.RunUntil(() => link.B.Received.Count == 50, 30_000));
        link.DropAtoB = _ => false;

        var rng = new Random(7);
        var victim = new SctpTestEndpoint();
        foreach (var target in new[] { link.B, victim })
        {
            for (var i = 0; i < 20_000; i++)
            {
                var p = (byte[])captured[rng.Next(captured.Count)].Clone();
                var mutations = rng.Next(1, 6);
                for (var m = 0; m < mutations; m++)
                {
                    p[rng.Next(SctpCommonHeader.Size, p.Length)] = (byte)rng.Next(256);
                }

                if (rng.Next(4) == 0)
                {
                    p = p[..rng.Next(SctpCommonHeader.Size, p.Length + 1)];
                }

                if (p.Length >= SctpCommonHeader.Size)
                {
                    SctpCommonHeader.Seal(p); // a valid checksum, so the chunk parsers see the damage
                }

                target.Association.HandlePacket(p, link.Now);
            }
        }

        // These packets carry B's own verification tag, i.e. they come from the authenticated peer (SCTP
        // runs inside DTLS): such a peer may legitimately end its own association, but nothing throws,
        // and an association that is still established is not wedged.
        link.B.Outbox.Clear();
        link.A.Outbox.Clear();
        Assert.Contains(link.B.Association.State, new[] { SctpState.Established, SctpState.ShutdownReceived, SctpState.ShutdownAckSent, SctpState.Closed });
        if (link.B.Association.State == SctpState.Established && link.A.Association.State == SctpState.Established)
        {
            AssertNotWedgedAfterForgedData(link);
        }

        // A fresh pair that saw none of it is untouched.
        AssertStillWorks(SctpTestLink.Connected());
    }

    [Fact]
    public void Data_far_outside_the_window_is_not_buffered()
    {
        var link = SctpTestLink.Connected();
        var tag = link.B.Association.MyTag;
        for (uint i = 0; i < 5_000; i++)
        {
            link.B.Association.HandlePacket(Seal(tag, Data(0x8000_0000u + (i * 977), (ushort)i, 0, DataChunkFlags.Beginning, 1000)), link.Now);
        }

        link.B.Outbox.Clear();
        Assert.Empty(link.B.Received);
        AssertStillWorks(link);
    }

    [Fact]
    public void A_peer_cannot_make_us_buffer_beyond_the_receive_window()
    {
        var options = new SctpOptions { ReceiveWindow = 64 * 1024 };
        var link = SctpTestLink.Connected(options);
        var tag = link.B.Association.MyTag;
        var cum = ReadCumulativeFromSack(link);

        // Fragments that never complete (B without E), each on its own TSN, beyond the cumulative TSN.
        var accepted = 0;
        for (uint i = 2; i < 2_000; i++)
        {
            var before = link.B.Association.Stats.DataChunksReceived;
            link.B.Association.HandlePacket(Seal(tag, Data(cum + i, 1, 5, DataChunkFlags.Beginning, 1000)), link.Now);
            accepted += (int)(link.B.Association.Stats.DataChunksReceived - before);
        }

        link.B.Outbox.Clear();
        Assert.InRange(accepted, 1, (64 * 1024 / 1000) + 1);
    }

    [Fact]
    public void Forged_verification_tags_are_ignored()
    {
        var link = SctpTestLink.Connected();
        var wrong = link.B.Association.MyTag ^ 1;
        link.B.Association.HandlePacket(Seal(wrong, Chunk(SctpChunkType.Abort, 0, [])), link.Now);
        link.B.Association.HandlePacket(Seal(wrong, Chunk(SctpChunkType.Shutdown, 0, new byte[4])), link.Now);
        Assert.Equal(SctpState.Established, link.B.Association.State);
        Assert.Null(link.B.ClosedReason);
        AssertStillWorks(link);
    }

    [Fact]
    public void Bogus_sack_forward_tsn_and_reconfig_chunks_are_harmless()
    {
        var link = SctpTestLink.Connected();
        var tagB = link.B.Association.MyTag;
        var tagA = link.A.Association.MyTag;

        // A SACK acknowledging TSNs never sent, with absurd gap blocks.
        var sack = new byte[64];
        var n = SackChunk.Write(sack, 0x7FFF_FFFF, 0, [(0, 0), (65535, 1), (1, 65535)], [1u, 2u]);
        link.A.Association.HandlePacket(Seal(tagA, sack[..n]), link.Now);

        // A FORWARD TSN jumping two billion TSNs ahead, naming a stream that does not exist.
        var fwd = new byte[16];
        n = ForwardTsnChunk.Write(fwd, 0x9000_0000, [((ushort)65535, (ushort)9)]);
        link.B.Association.HandlePacket(Seal(tagB, fwd[..n]), link.Now);

        // RE-CONFIG requests with bad sequence numbers and truncated parameters.
        var rc = new byte[64];
        n = ReConfigParameters.WriteOutgoingResetChunk(rc, 12345, 0, 0, [1, 2, 3]);
        link.B.Association.HandlePacket(Seal(tagB, rc[..n]), link.Now);
        link.B.Association.HandlePacket(Seal(tagB, Chunk(SctpChunkType.ReConfig, 0, [0, 13, 0, 5, 1])), link.Now);

        // Unknown chunk types in each of the four "upper bits" classes, and a HEARTBEAT bigger than the MTU.
        foreach (byte t in new byte[] { 0x3F, 0x7F, 0xBF, 0xFF })
        {
            link.B.Association.HandlePacket(Seal(tagB, Chunk((SctpChunkType)t, 0, new byte[8])), link.Now);
        }

        link.B.Association.HandlePacket(Seal(tagB, Chunk(SctpChunkType.Heartbeat, 0, new byte[4000])), link.Now);
        link.A.Outbox.Clear();
        link.B.Outbox.Clear();
        AssertStillWorks(link);
    }

    private static uint ReadCumulativeFromSack(SctpTestLink link)
    {
        // Provoke a SACK from B and read its cumulative TSN ack.
        link.A.Association.Send(9, 53, "x"u8, SctpSendOptions.Reliable, link.Now);
        Assert.True(link.A.Outbox.TryDequeue(out var data));
        link.B.Association.HandlePacket(data, link.Now);
        link.B.Association.HandleTimeout(link.Now + new SctpOptions().SackDelayMs); // one in-order packet: the SACK is delayed
        Assert.True(link.B.Outbox.TryDequeue(out var sackPacket));
        link.A.Association.HandlePacket(sackPacket, link.Now);
        return BinaryPrimitives.ReadUInt32BigEndian(sackPacket.AsSpan(SctpCommonHeader.Size + 4));
    }
}
