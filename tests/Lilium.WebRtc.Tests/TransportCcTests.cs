using System.Buffers.Binary;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Transport-wide CC feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) on the wire, the recorder
/// that produces it and the RTP header extension. The vectors are laid out bit by bit from the draft's figures; the
/// layout choices a sender makes (P bit with a pad count, as libwebrtc and Wireshark-decoded Chrome captures show)
/// are the ones Chrome makes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class TransportCcTests
{
    // Run-length chunk of 5 "small delta", deltas 1, 2, 0, 63.75 and 0.25 ms; 27 bytes padded to 28 (P set, pad 1).
    private static readonly byte[] RunLengthVector =
    [
        0xAF, 0xCD, 0x00, 0x06, // V=2 P=1 FMT=15, PT=205, length 6 (28 bytes)
        0x11, 0x22, 0x33, 0x44, // sender SSRC
        0x55, 0x66, 0x77, 0x88, // media SSRC
        0x01, 0x00, 0x00, 0x05, // base sequence 256, status count 5
        0x00, 0x00, 0x10, 0x07, // reference time 16 (1.024 s), feedback count 7
        0x20, 0x05,             // |0|01|0000000000101|: run of 5 small deltas
        0x04, 0x08, 0x00, 0xFF, 0x01, // deltas in 250 µs ticks
        0x01,                   // padding count
    ];

    // 2-bit vector: small, lost, large (−1 ms), small, lost, lost, small; base sequence wraps; negative reference time.
    private static readonly byte[] TwoBitVector =
    [
        0xAF, 0xCD, 0x00, 0x06,
        0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x02,
        0xFF, 0xFE, 0x00, 0x07, // base sequence 65534, 7 statuses
        0xFF, 0xFF, 0xFF, 0xFF, // reference time −1 (−64 ms), feedback count 255
        0xD2, 0x41,             // |1|1|01 00 10 01 00 00 01|
        0x10, 0xFF, 0xFC, 0x08, 0x00, // 4 ms, then −1 ms (large), 2 ms, 0 ms
        0x01,
    ];

    // 1-bit vector of 14: lost, 5 received, 3 lost, 3 received, 2 lost; every delta 0.25 ms; padded by 2.
    private static readonly byte[] OneBitVector =
    [
        0xAF, 0xCD, 0x00, 0x07,
        0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x02,
        0x00, 0x0A, 0x00, 0x0E, // base 10, 14 statuses
        0x00, 0x00, 0x00, 0x01, // reference time 0, feedback count 1
        0x9F, 0x1C,             // |1|0|0 1 1 1 1 1 0 0 0 1 1 1 0 0|
        0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
        0x00, 0x02,
    ];

    [Fact]
    public void Parses_a_run_length_chunk_with_padding()
    {
        Assert.True(TransportCcFeedback.TryParse(RunLengthVector, out var f));
        Assert.Equal((0x11223344u, 0x55667788u, (ushort)256, (ushort)5, 16, (byte)7),
            (f!.SenderSsrc, f.MediaSsrc, f.BaseSequence, f.StatusCount, f.ReferenceTime, f.FeedbackCount));
        Assert.Equal(
            [
                new TransportCcPacket(256, true, 1_025_000),
                new TransportCcPacket(257, true, 1_027_000),
                new TransportCcPacket(258, true, 1_027_000),
                new TransportCcPacket(259, true, 1_090_750),
                new TransportCcPacket(260, true, 1_091_000),
            ],
            f.Packets.ToArray());

        // The header-only view the relay already had agrees.
        Assert.True(TransportCcHeader.TryParse(RunLengthVector, out var h));
        Assert.Equal((256, 5, 16, 7), (h.BaseSequence, h.StatusCount, h.ReferenceTime, (int)h.FeedbackCount));
    }

    [Fact]
    public void Parses_a_two_bit_vector_with_a_negative_delta_across_the_sequence_wrap()
    {
        Assert.True(TransportCcFeedback.TryParse(TwoBitVector, out var f));
        Assert.Equal(-1, f!.ReferenceTime);
        Assert.Equal(255, f.FeedbackCount);
        Assert.Equal(
            [
                new TransportCcPacket(65534, true, -60_000),
                new TransportCcPacket(65535, false, 0),
                new TransportCcPacket(0, true, -61_000),
                new TransportCcPacket(1, true, -59_000),
                new TransportCcPacket(2, false, 0),
                new TransportCcPacket(3, false, 0),
                new TransportCcPacket(4, true, -59_000),
            ],
            f.Packets.ToArray());
    }

    [Fact]
    public void Parses_a_one_bit_vector()
    {
        Assert.True(TransportCcFeedback.TryParse(OneBitVector, out var f));
        var received = f!.Packets.ToArray().Select(p => p.Received ? 1 : 0);
        Assert.Equal([0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0], received);
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 250L), f.Packets.ToArray().Where(p => p.Received).Select(p => p.ArrivalMicros));
        Assert.Equal((ushort)23, f.Packets[^1].Sequence);
    }

    [Fact]
    public void Writes_the_run_length_vector_byte_for_byte()
    {
        var buffer = new byte[64];
        var n = TransportCcFeedback.Write(buffer, 0x11223344, 0x55667788, 256, 7, [1_025_000, 1_027_000, 1_027_000, 1_090_750, 1_091_000], out var consumed);
        Assert.Equal(5, consumed);
        Assert.Equal(RunLengthVector, buffer[..n]);
    }

    [Fact]
    public void Writes_a_two_bit_vector_when_a_large_delta_is_needed()
    {
        // Arrivals ≥ 0: reference 1 (64 ms); small, lost, large (−1 ms), small, lost, lost, small.
        long[] arrivals = [68_000, -1, 67_000, 69_000, -1, -1, 69_000];
        var buffer = new byte[64];
        var n = TransportCcFeedback.Write(buffer, 1, 2, 65534, 255, arrivals, out var consumed);
        Assert.Equal(7, consumed);
        Assert.Equal(0xD241, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(20)));
        Assert.Equal(new byte[] { 0x10, 0xFF, 0xFC, 0x08, 0x00, 0x01 }, buffer[22..n]);
        Assert.True(TransportCcFeedback.TryParse(buffer.AsSpan(0, n), out var f));
        Assert.Equal(arrivals.Select(a => a >= 0), f!.Packets.ToArray().Select(p => p.Received));
        Assert.Equal(arrivals.Where(a => a >= 0), f.Packets.ToArray().Where(p => p.Received).Select(p => p.ArrivalMicros));
    }

    [Fact]
    public void Round_trips_random_patterns_with_long_losses_and_large_gaps()
    {
        var random = new Random(7);
        var buffer = new byte[1500];
        var parsed = new TransportCcFeedback();
        for (var round = 0; round < 300; round++)
        {
            var count = random.Next(1, 2000);
            var arrivals = new long[count];
            var t = random.NextInt64(0, 1_000_000_000);
            for (var i = 0; i < count; i++)
            {
                var lossRun = random.Next(10) == 0;
                if (i > 0 && lossRun)
                {
                    arrivals[i] = -1;
                    continue;
                }

                t += random.Next(4) switch
                {
                    0 => random.Next(0, 64_000),          // small delta
                    1 => random.Next(-5_000, 0),          // reordered: negative
                    2 => random.Next(64_000, 8_000_000),  // large
                    _ => random.Next(0, 2_000),
                };
                arrivals[i] = Math.Max(t, 0);
            }

            arrivals[^1] = Math.Max(t, 0);
            var baseSeq = (ushort)random.Next(65536);
            var covered = 0;
            while (covered < count)
            {
                var n = TransportCcFeedback.Write(buffer.AsSpan(0, random.Next(40, 1500)), 9, 10, (ushort)(baseSeq + covered), 1, arrivals.AsSpan(covered), out var consumed);
                Assert.True(n > 0, $"round {round}: nothing written at {covered} of {count}");
                Assert.Equal(0, n % 4);
                Assert.True(parsed.TryParse(buffer.AsSpan(0, n)), $"round {round}: our own packet did not parse");
                Assert.Equal(consumed, parsed.StatusCount);
                for (var i = 0; i < consumed; i++)
                {
                    var expected = arrivals[covered + i];
                    var p = parsed.Packets[i];
                    Assert.Equal((ushort)(baseSeq + covered + i), p.Sequence);
                    Assert.Equal(expected >= 0, p.Received);
                    if (expected >= 0)
                    {
                        Assert.Equal((long)Math.Floor((expected + 125) / 250.0) * 250, p.ArrivalMicros);
                    }
                }

                covered += consumed;
            }
        }
    }

    [Fact]
    public void Hostile_feedback_never_throws()
    {
        // Every truncation and every single-byte corruption of valid packets, then random bytes with a valid header.
        var parsed = new TransportCcFeedback();
        foreach (var vector in new[] { RunLengthVector, TwoBitVector, OneBitVector })
        {
            for (var length = 0; length < vector.Length; length++)
            {
                _ = parsed.TryParse(vector.AsSpan(0, length));
                var cut = vector[..length];
                if (length >= 4)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(cut.AsSpan(2), (ushort)((length / 4) - 1)); // length field agrees
                }

                _ = parsed.TryParse(cut);
            }

            for (var at = 0; at < vector.Length; at++)
            {
                for (var bit = 0; bit < 8; bit++)
                {
                    var corrupt = (byte[])vector.Clone();
                    corrupt[at] ^= (byte)(1 << bit);
                    if (parsed.TryParse(corrupt))
                    {
                        Assert.True(parsed.Packets.Length == parsed.StatusCount);
                    }
                }
            }
        }

        var random = new Random(11);
        for (var i = 0; i < 20_000; i++)
        {
            var packet = new byte[4 * random.Next(5, 40)];
            random.NextBytes(packet);
            packet[0] = (byte)(0x80 | (packet[0] & 0x20) | 15);
            packet[1] = 205;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)((packet.Length / 4) - 1));
            _ = parsed.TryParse(packet);
        }
    }

    [Fact]
    public void Lying_counts_and_reserved_symbols_are_refused()
    {
        // Status count 65535 with one run-length chunk of 5: the chunks run out.
        var lying = (byte[])RunLengthVector.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(lying.AsSpan(14), 65535);
        Assert.False(new TransportCcFeedback().TryParse(lying));

        // A run of 9 received: one delta per received packet, but only 5 present.
        var shortDeltas = (byte[])RunLengthVector.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(shortDeltas.AsSpan(14), 9);
        BinaryPrimitives.WriteUInt16BigEndian(shortDeltas.AsSpan(20), 0x2009);
        Assert.False(new TransportCcFeedback().TryParse(shortDeltas));

        // Symbol 11 is reserved, in a run and in a 2-bit vector.
        var reservedRun = (byte[])RunLengthVector.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(reservedRun.AsSpan(20), 0x6005);
        Assert.False(new TransportCcFeedback().TryParse(reservedRun));
        var reservedVector = (byte[])TwoBitVector.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(reservedVector.AsSpan(20), 0xF241);
        Assert.False(new TransportCcFeedback().TryParse(reservedVector));

        // A padding count larger than the FCI.
        var badPad = (byte[])RunLengthVector.Clone();
        badPad[^1] = 40;
        Assert.False(new TransportCcFeedback().TryParse(badPad));

        // Not transport-cc: a generic NACK.
        var nack = new byte[16];
        var n = GenericNack.Write(nack, 1, 2, [5]);
        Assert.False(new TransportCcFeedback().TryParse(nack.AsSpan(0, n)));
    }

    [Fact]
    public void Recorder_reports_every_packet_once_across_the_wrap_with_losses_and_reordering()
    {
        var recorder = new TransportCcRecorder(senderSsrc: 1, mediaSsrc: 2);
        var seen = new Dictionary<int, (bool Received, long Arrival)>();
        var parsed = new TransportCcFeedback();
        var buffer = new byte[1200];
        var now = 5_000_000L;
        var expectedFeedbackCount = 0;

        // 65500 → 65535 → 0 → 99 (unwrapped 65500…65635); every 10th lost; pairs swapped every 7th.
        var order = Enumerable.Range(65500, 136).Where(s => s % 10 != 3).ToList();
        for (var i = 0; i + 1 < order.Count; i += 7)
        {
            (order[i], order[i + 1]) = (order[i + 1], order[i]);
        }

        for (var i = 0; i < order.Count; i++)
        {
            now += 1_000;
            recorder.OnPacket((ushort)order[i], now);

            // Not between the two of a swapped pair: a packet arriving after its range was reported counts as late
            // (the next test shows that), and this test is about everything being reported once.
            if (i % 7 != 0 && recorder.IsFeedbackDue(now))
            {
                Drain();
            }
        }

        Drain();
        Assert.False(recorder.HasPending);
        for (var s = 65500; s < 65636; s++)
        {
            Assert.True(seen.ContainsKey(s), $"sequence {s} never reported");
            Assert.Equal(s % 10 != 3, seen[s].Received);
        }

        Assert.Equal(0, recorder.LateArrivals);

        void Drain()
        {
            while (recorder.TryWriteFeedback(buffer, now, out var n))
            {
                Assert.True(parsed.TryParse(buffer.AsSpan(0, n)));
                Assert.Equal((byte)expectedFeedbackCount++, parsed.FeedbackCount);
                foreach (var p in parsed.Packets)
                {
                    var unwrapped = p.Sequence < 1000 ? p.Sequence + 65536 : p.Sequence;
                    Assert.True(seen.TryAdd(unwrapped, (p.Received, p.ArrivalMicros)), $"sequence {unwrapped} reported twice");
                }
            }
        }
    }

    [Fact]
    public void Recorder_splits_a_large_backlog_and_a_long_pause_into_several_packets()
    {
        var recorder = new TransportCcRecorder(1, 2);
        for (var s = 0; s < 3000; s++)
        {
            recorder.OnPacket((ushort)s, 1_000_000 + (s * 100) + (s == 2000 ? 9_000_000 : 0) + (s > 2000 ? 9_000_000 : 0));
        }

        var buffer = new byte[300];
        var parsed = new TransportCcFeedback();
        var packets = 0;
        var next = 0;
        while (recorder.TryWriteFeedback(buffer, 0, out var n))
        {
            Assert.True(n <= 300);
            Assert.True(parsed.TryParse(buffer.AsSpan(0, n)));
            Assert.Equal((ushort)next, parsed.BaseSequence);
            next += parsed.StatusCount;
            packets++;
        }

        Assert.Equal(3000, next);
        Assert.True(packets >= 10, $"{packets} packets for 3000 statuses in 300-byte packets");
    }

    [Fact]
    public void Recorder_counts_late_arrivals_and_restarts_after_a_jump()
    {
        var recorder = new TransportCcRecorder(1, 2);
        var buffer = new byte[1200];
        recorder.OnPacket(10, 1_000);
        recorder.OnPacket(11, 2_000);
        Assert.True(recorder.IsFeedbackDue(3_000));
        Assert.True(recorder.TryWriteFeedback(buffer, 3_000, out _));
        Assert.False(recorder.IsFeedbackDue(3_000));
        recorder.OnPacket(9, 4_000); // already reported (as not covered): late
        Assert.Equal(1, recorder.LateArrivals);
        Assert.False(recorder.HasPending);

        recorder.OnPacket(30_000, 5_000); // far ahead: the ring restarts there
        Assert.True(recorder.TryWriteFeedback(buffer, 60_000, out var n));
        var parsed = new TransportCcFeedback();
        Assert.True(parsed.TryParse(buffer.AsSpan(0, n)));
        Assert.Equal((ushort)30_000, parsed.BaseSequence);
        Assert.Equal(1, parsed.StatusCount);
    }

    [Fact]
    public void Transport_sequence_extension_is_read_and_rewritten_in_place()
    {
        var packet = new byte[64];
        var n = RtpHeader.WriteFixed(packet, false, 96, 1, 2, 3);
        packet[0] |= 0x10;
        n += RtpExtensions.Write(packet.AsSpan(n), [(9, "1"u8.ToArray()), (4, [0xAB, 0xCD]), (10, "h"u8.ToArray())]);
        Assert.True(RtpHeader.TryParse(packet.AsSpan(0, n + 10), out var h));
        Assert.True(RtpExtensions.TryGetTransportSequence(packet, h, 4, out var seq));
        Assert.Equal(0xABCD, seq);
        Assert.True(RtpExtensions.TrySetTransportSequence(packet, h, 4, 0x1234));
        Assert.True(RtpExtensions.TryGetTransportSequence(packet, h, 4, out seq));
        Assert.Equal(0x1234, seq);
        Assert.True(RtpExtensions.TryGetSdesItem(packet, h, 9, out var mid));
        Assert.Equal("1"u8.ToArray(), mid.ToArray());
        Assert.True(RtpExtensions.TryGetSdesItem(packet, h, 10, out var rid));
        Assert.Equal("h"u8.ToArray(), rid.ToArray());

        // Absent, or the wrong size, or an SDES item that is not text: false, nothing written.
        Assert.False(RtpExtensions.TryGetTransportSequence(packet, h, 9, out _));
        Assert.False(RtpExtensions.TrySetTransportSequence(packet, h, 5, 1));
        Assert.False(RtpExtensions.TryGetSdesItem(packet, h, 4, out _)); // 0x12 is not visible ASCII
    }
}
