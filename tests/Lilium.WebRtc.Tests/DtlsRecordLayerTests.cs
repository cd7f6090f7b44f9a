using System.Buffers.Binary;
using Lilium.WebRtc.Dtls;
using Org.BouncyCastle.Tls;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Our post-handshake DTLS record layer on fixed keys: round trips, the replay window (RFC 6347 §4.1.2.6),
/// tampering, alerts, the peer's retransmitted flight, the bad-record budget and hostile bytes.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DtlsRecordLayerTests
{
    private static DtlsRecordKeys Keys(int suite = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
    {
        var length = (2 * DtlsRecordKeys.KeyLength(suite)) + (2 * DtlsRecordKeys.SaltLength);
        return DtlsRecordKeys.FromKeyBlock(suite, Enumerable.Range(1, length).Select(i => (byte)(i * 7)).ToArray());
    }

    private static byte[] Protect(DtlsRecordLayer sender, ReadOnlySpan<byte> plaintext, DtlsContentType type = DtlsContentType.ApplicationData)
    {
        var buffer = new byte[plaintext.Length + DtlsRecordLayer.Overhead];
        Assert.True(sender.TryProtect(type, plaintext, buffer, out var n));
        Assert.Equal(buffer.Length, n);
        return buffer;
    }

    private sealed class Inbox
    {
        public List<byte[]> Received { get; } = [];

        public void Add(ReadOnlySpan<byte> data) => Received.Add(data.ToArray());
    }

    [Theory]
    [InlineData(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)]
    [InlineData(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)]
    public void Records_round_trip_in_both_directions_and_start_at_the_given_sequence(int suite)
    {
        var keys = Keys(suite);
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client, firstWriteSequence: 3);
        using var server = new DtlsRecordLayer(keys, DtlsRole.Server);
        var atServer = new Inbox();
        var atClient = new Inbox();

        var record = Protect(client, "to the relay"u8);
        Assert.True(DtlsRecord.TryParse(record, out var parsed));
        Assert.Equal((byte)DtlsContentType.ApplicationData, parsed.Type);
        Assert.Equal(DtlsRecord.Version12, parsed.Version);
        Assert.Equal(1, parsed.Epoch);
        Assert.Equal(3UL, parsed.SequenceNumber);
        Assert.Equal(DtlsReceiveResult.ApplicationData, server.Receive(record, atServer.Add));
        Assert.Equal(DtlsReceiveResult.ApplicationData, client.Receive(Protect(server, "to the sdk"u8), atClient.Add));

        Assert.Equal("to the relay"u8.ToArray(), Assert.Single(atServer.Received));
        Assert.Equal("to the sdk"u8.ToArray(), Assert.Single(atClient.Received));
        // A side cannot read its own records (each direction has its own key).
        Assert.Equal(DtlsReceiveResult.None, client.Receive(Protect(client, "self"u8), atClient.Add));
        Assert.Equal(1, client.FailedRecords);
    }

    [Fact]
    public void Several_records_in_one_datagram_are_all_delivered()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        using var server = new DtlsRecordLayer(keys, DtlsRole.Server);
        var inbox = new Inbox();
        byte[] datagram = [.. Protect(client, "one"u8), .. Protect(client, "two"u8), .. Protect(client, "three"u8)];

        server.Receive(datagram, inbox.Add);

        Assert.Equal(["one", "two", "three"], inbox.Received.Select(b => System.Text.Encoding.ASCII.GetString(b)));
        Assert.Equal(3, server.AcceptedRecords);
    }

    [Fact]
    public void A_replayed_record_is_dropped_and_reordering_within_the_window_is_accepted()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        using var server = new DtlsRecordLayer(keys, DtlsRole.Server);
        var inbox = new Inbox();
        var records = Enumerable.Range(0, 100).Select(i => Protect(client, [(byte)i])).ToArray();

        server.Receive(records[70], inbox.Add);
        server.Receive(records[70], inbox.Add); // replay
        server.Receive(records[10], inbox.Add); // 60 behind: inside the 64-record window
        server.Receive(records[10], inbox.Add); // replay
        server.Receive(records[99], inbox.Add);
        server.Receive(records[30], inbox.Add); // 69 behind the highest: left of the window
        server.Receive(records[40], inbox.Add); // 59 behind: inside

        Assert.Equal([70, 10, 99, 40], inbox.Received.Select(b => (int)b[0]));
        Assert.Equal(3, server.ReplayedRecords);
        Assert.Equal(0, server.FailedRecords); // replays do not spend the budget
        Assert.False(server.IsClosed);
    }

    [Fact]
    public void Every_single_bit_flip_of_a_record_is_refused()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        var record = Protect(client, "authenticated payload"u8);
        var accepted = 0;
        for (var bit = 0; bit < record.Length * 8; bit++)
        {
            using var server = new DtlsRecordLayer(keys, DtlsRole.Server);
            var tampered = record.ToArray();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            var inbox = new Inbox();
            server.Receive(tampered, inbox.Add);
            accepted += inbox.Received.Count;
            Assert.Equal(0, server.AcceptedRecords);
        }

        Assert.Equal(0, accepted);
        using var intact = new DtlsRecordLayer(keys, DtlsRole.Server);
        Assert.Equal(DtlsReceiveResult.ApplicationData, intact.Receive(record, null));
    }

    [Fact]
    public void A_forged_record_does_not_move_the_replay_window()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        using var server = new DtlsRecordLayer(keys, DtlsRole.Server);
        var genuine = Protect(client, "genuine"u8);
        var forged = genuine.ToArray();
        BinaryPrimitives.WriteUInt64BigEndian(forged.AsSpan(3), (1UL << 48) | 1_000_000); // far ahead
        forged[^1] ^= 1;

        server.Receive(forged, null);
        var inbox = new Inbox();
        server.Receive(genuine, inbox.Add);

        Assert.Single(inbox.Received);
        Assert.Equal(1, server.FailedRecords);
    }

    [Fact]
    public void Close_notify_and_fatal_alerts_end_the_association_and_warnings_do_not()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        using var server = new DtlsRecordLayer(keys, DtlsRole.Server);
        Assert.Equal(DtlsReceiveResult.None, server.Receive(Protect(client, [1, 90], DtlsContentType.Alert), null)); // warning user_canceled
        Assert.False(server.IsClosed);
        Assert.Equal(DtlsReceiveResult.Closed, server.Receive(Protect(client, [1, 0], DtlsContentType.Alert), null));
        Assert.Equal("peer sent close_notify", server.CloseReason);
        Assert.Equal(DtlsReceiveResult.Closed, server.Receive(Protect(client, "late"u8), null)); // nothing after close
        Assert.Equal(2, server.AcceptedRecords); // the late record was not opened

        using var other = new DtlsRecordLayer(keys, DtlsRole.Server);
        other.Receive(Protect(client, [2, 40], DtlsContentType.Alert), null);
        Assert.Equal("peer sent fatal alert 40", other.CloseReason);
    }

    [Fact]
    public void The_peers_retransmitted_flight_is_reported_without_spending_the_budget()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        using var server = new DtlsRecordLayer(keys, DtlsRole.Server);
        var epoch0 = new byte[DtlsRecord.HeaderLength + 12];
        DtlsRecord.WriteHeader(epoch0, DtlsContentType.Handshake, 0, 9, 12);
        var finished = Protect(client, new byte[16], DtlsContentType.Handshake);

        Assert.Equal(DtlsReceiveResult.HandshakeRetransmission, server.Receive(epoch0, null));
        Assert.Equal(DtlsReceiveResult.HandshakeRetransmission, server.Receive(finished, null));
        Assert.Equal(DtlsReceiveResult.None, server.Receive(finished, null)); // the same record again is a replay
        Assert.Equal(0, server.FailedRecords);
        Assert.Equal(2, server.HandshakeRecords);
    }

    [Fact]
    public void More_failed_records_than_the_budget_close_the_association()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        using var server = new DtlsRecordLayer(keys, DtlsRole.Server, badRecordBudget: 5);
        var record = Protect(client, "x"u8);
        var bad = record.ToArray();
        bad[^1] ^= 0x80;
        byte[] wrongEpoch = [.. record];
        wrongEpoch[4] = 2;
        byte[] wrongVersion = [.. record];
        wrongVersion[2] = 0xFF;
        byte[] heartbeat = [.. record];
        heartbeat[0] = (byte)DtlsContentType.Heartbeat;

        foreach (var d in new[] { bad, wrongEpoch, wrongVersion, heartbeat, new byte[] { 23, 0xFE } })
        {
            Assert.Equal(DtlsReceiveResult.None, server.Receive(d, null));
        }

        Assert.Equal(5, server.FailedRecords);
        Assert.False(server.IsClosed);
        Assert.Equal(DtlsReceiveResult.Closed, server.Receive(bad, null));
        Assert.Equal("dtls: more than 5 records failed", server.CloseReason);
    }

    [Fact]
    public void Hostile_bytes_never_throw()
    {
        var keys = Keys();
        using var client = new DtlsRecordLayer(keys, DtlsRole.Client);
        var valid = Protect(client, "seed"u8);
        var random = new Random(23);
        for (var i = 0; i < 20_000; i++)
        {
            using var server = new DtlsRecordLayer(keys, DtlsRole.Server, badRecordBudget: int.MaxValue);
            byte[] datagram;
            if (i % 2 == 0)
            {
                datagram = new byte[random.Next(0, 200)];
                random.NextBytes(datagram);
            }
            else
            {
                datagram = [.. valid, .. valid];
                for (var k = random.Next(1, 6); k > 0; k--)
                {
                    datagram[random.Next(datagram.Length)] = (byte)random.Next(256);
                }

                if (random.Next(4) == 0)
                {
                    datagram = datagram[..random.Next(datagram.Length)];
                }
            }

            server.Receive(datagram, _ => { });
        }

        using var small = new DtlsRecordLayer(keys, DtlsRole.Server);
        Assert.False(small.TryProtect(DtlsContentType.ApplicationData, "too big"u8, new byte[10], out _));
        Assert.False(small.TryProtect(DtlsContentType.ApplicationData, new byte[(1 << 14) + 1], new byte[20_000], out _));
    }

    [Fact]
    public void A_key_block_of_the_wrong_size_or_suite_is_refused()
    {
        Assert.Throws<ArgumentException>(() => DtlsRecordKeys.FromKeyBlock(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, new byte[39]));
        Assert.Throws<ArgumentException>(() => DtlsRecordKeys.FromKeyBlock(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, new byte[40]));
    }
}
