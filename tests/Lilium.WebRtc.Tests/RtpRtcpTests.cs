using Lilium.WebRtc.Rtcp;
using Lilium.WebRtc.Rtp;

namespace Lilium.WebRtc.Tests;

[Trait("Category", "Unit")]
public sealed class RtpRtcpTests
{
    [Fact]
    public void Rtp_with_one_byte_extensions_from_aiortc()
    {
        var p = RtpRtcpFixtures.RtpWithExtensions;
        Assert.True(RtpHeader.TryParse(p, out var h));
        Assert.Equal((true, (byte)96, (ushort)0xFFFE, 0xDEADBEEFu, 0x11223344u), (h.Marker, h.PayloadType, h.SequenceNumber, h.Timestamp, h.Ssrc));
        Assert.Equal(RtpExtensions.OneByteProfile, h.ExtensionProfile);
        Assert.Equal(28, h.HeaderLength);
        Assert.Equal(30, h.PayloadLength);
        Assert.True(RtpExtensions.TryGet(p, h, 1, out var mid));
        Assert.Equal("0"u8.ToArray(), mid.ToArray());
        Assert.True(RtpExtensions.TryGet(p, h, 3, out var abs));
        Assert.Equal(new byte[] { 0x12, 0x34, 0x56 }, abs.ToArray());
        Assert.True(RtpExtensions.TryGet(p, h, 5, out var twcc));
        Assert.Equal(new byte[] { 0x01, 0x02 }, twcc.ToArray());
        Assert.False(RtpExtensions.TryGet(p, h, 2, out _));
    }

    [Fact]
    public void Rtp_written_by_us_is_byte_identical_to_aiortc()
    {
        var expected = RtpRtcpFixtures.RtpWithExtensions;
        var buffer = new byte[expected.Length];
        var n = RtpHeader.WriteFixed(buffer, true, 96, 0xFFFE, 0xDEADBEEF, 0x11223344);
        buffer[0] |= 0x10; // X
        n += RtpExtensions.Write(buffer.AsSpan(n), [(1, "0"u8.ToArray()), (3, [0x12, 0x34, 0x56]), (5, [0x01, 0x02])]);
        expected.AsSpan(28).CopyTo(buffer.AsSpan(n));
        Assert.Equal(expected, buffer);
    }

    [Fact]
    public void Two_byte_extensions_round_trip()
    {
        var buffer = new byte[64];
        var n = RtpHeader.WriteFixed(buffer, false, 100, 1, 2, 3);
        buffer[0] |= 0x10;
        var big = Enumerable.Range(0, 20).Select(i => (byte)i).ToArray();
        n += RtpExtensions.Write(buffer.AsSpan(n), [(20, big), (2, [])]);
        Assert.True(RtpHeader.TryParse(buffer.AsSpan(0, n), out var h));
        Assert.Equal(RtpExtensions.TwoByteProfile, h.ExtensionProfile);
        Assert.True(RtpExtensions.TryGet(buffer.AsSpan(0, n), h, 20, out var v));
        Assert.Equal(big, v.ToArray());
        Assert.True(RtpExtensions.TryGet(buffer.AsSpan(0, n), h, 2, out v));
        Assert.True(v.IsEmpty);
    }

    [Fact]
    public void In_place_rewriting_keeps_the_rest_of_the_packet()
    {
        var p = (byte[])RtpRtcpFixtures.RtpWithExtensions.Clone();
        RtpHeader.WriteSequenceNumber(p, 42);
        RtpHeader.WriteTimestamp(p, 9000);
        RtpHeader.WriteSsrc(p, 0xABCDEF01);
        RtpHeader.WritePayloadType(p, 97);
        Assert.True(RtpHeader.TryParse(p, out var h));
        Assert.Equal(((ushort)42, 9000u, 0xABCDEF01u, (byte)97, true), (h.SequenceNumber, h.Timestamp, h.Ssrc, h.PayloadType, h.Marker));
        Assert.Equal(RtpRtcpFixtures.RtpWithExtensions[12..], p[12..]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("8060000100000002000000")]          // 11 bytes
    [InlineData("4060000100000002000000030000")]    // version 1
    [InlineData("8160000100000002000000030000")]    // one CSRC announced, none present
    [InlineData("9060000100000002000000030000")]    // X set, no extension header
    [InlineData("90600001000000020000000300010005")] // extension length beyond the packet
    [InlineData("a0600001000000020000000300000000")] // padding count 0
    [InlineData("a06000010000000200000003000000ff")] // padding beyond the payload
    public void Malformed_rtp_is_refused(string hex) => Assert.False(RtpHeader.TryParse(Convert.FromHexString(hex), out _));

    [Fact]
    public void Sender_report_from_aiortc_and_back()
    {
        Assert.True(SenderReport.TryParse(RtpRtcpFixtures.RtcpSr, out var sr));
        Assert.Equal((0xCAFEBABEu, 0xE1F2A3B4C5D6E7F8UL, 0x01020304u, 1000u, 1200000u), (sr!.Ssrc, sr.NtpTimestamp, sr.RtpTimestamp, sr.PacketCount, sr.OctetCount));
        var block = Assert.Single(sr.Reports);
        Assert.Equal(new ReportBlock(0x11223344, 12, -3, 0x0001FFFF, 33, 0x55667788, 65536), block);
        Assert.Equal(0xA3B4C5D6u, sr.CompactNtp);
        var buffer = new byte[sr.Size];
        sr.WriteTo(buffer);
        Assert.Equal(RtpRtcpFixtures.RtcpSr, buffer);
    }

    [Fact]
    public void Receiver_report_sdes_and_bye_from_aiortc()
    {
        Assert.True(ReceiverReport.TryParse(RtpRtcpFixtures.RtcpRr, out var rr));
        var buffer = new byte[rr!.Size];
        rr.WriteTo(buffer);
        Assert.Equal(RtpRtcpFixtures.RtcpRr, buffer);

        Assert.True(SourceDescription.TryParse(RtpRtcpFixtures.RtcpSdes, out var sdes));
        Assert.Equal([(0xCAFEBABEu, "lilium-viewer")], sdes!.Chunks);
        buffer = new byte[sdes.Size];
        sdes.WriteTo(buffer);
        Assert.True(SourceDescription.TryParse(buffer, out var again));
        Assert.Equal(sdes.Chunks, again!.Chunks);

        Assert.True(Goodbye.TryParse(RtpRtcpFixtures.RtcpBye, out var bye));
        Assert.Equal([0xCAFEBABEu, 0x11223344u], bye!.Ssrcs);
        buffer = new byte[bye.Size];
        bye.WriteTo(buffer);
        Assert.Equal(RtpRtcpFixtures.RtcpBye, buffer);
    }

    [Fact]
    public void Nack_pli_and_remb_from_aiortc_and_back()
    {
        Assert.True(GenericNack.TryParse(RtpRtcpFixtures.RtcpNack, out var f, out var lost));
        Assert.Equal((0xCAFEBABEu, 0x11223344u), (f.SenderSsrc, f.MediaSsrc));
        Assert.Equal([100, 101, 105, 116, 117, 300], lost.Select(x => (int)x));
        var buffer = new byte[64];
        var n = GenericNack.Write(buffer, 0xCAFEBABE, 0x11223344, lost);
        Assert.Equal(RtpRtcpFixtures.RtcpNack, buffer[..n]);

        Assert.True(RtcpFeedback.TryRead(RtpRtcpFixtures.RtcpPli, out var pli, out _));
        Assert.True(pli.IsPli);
        n = PictureLossIndication.Write(buffer, 0xCAFEBABE, 0x11223344);
        Assert.Equal(RtpRtcpFixtures.RtcpPli, buffer[..n]);

        Assert.True(ReceiverEstimatedMaxBitrate.TryParse(RtpRtcpFixtures.RtcpRemb, out var remb));
        Assert.Equal([0x11223344u], remb!.Ssrcs);
        Assert.InRange(remb.Bitrate, 2_499_000UL, 2_500_000UL); // 18-bit mantissa: exact to 1 part in 2^17
        n = remb.WriteTo(buffer);
        Assert.Equal(RtpRtcpFixtures.RtcpRemb, buffer[..n]);
    }

    [Fact]
    public void Fir_and_transport_cc_round_trip_and_media_ssrc_rewrites()
    {
        var fir = new FullIntraRequest(1, [(0x11223344, 7)]);
        var buffer = new byte[fir.Size];
        fir.WriteTo(buffer);
        Assert.True(FullIntraRequest.TryParse(buffer, out var back));
        Assert.Equal(fir.Entries, back!.Entries);

        // A transport-cc feedback header: base 5, 3 statuses, reference time -2, count 9, one run-length chunk.
        var twcc = Convert.FromHexString("8fcd0005cafebabe11223344000500 03fffffe0920030000".Replace(" ", "", StringComparison.Ordinal));
        Assert.True(TransportCcHeader.TryParse(twcc, out var tcc));
        Assert.Equal(((ushort)5, (ushort)3, -2, (byte)9), (tcc.BaseSequence, tcc.StatusCount, tcc.ReferenceTime, tcc.FeedbackCount));

        var nack = (byte[])RtpRtcpFixtures.RtcpNack.Clone();
        RtcpFeedback.WriteMediaSsrc(nack, 0x99);
        Assert.True(GenericNack.TryParse(nack, out var f, out _));
        Assert.Equal(0x99u, f.MediaSsrc);
    }

    [Fact]
    public void Compound_packets_iterate_and_unknown_types_stay_raw()
    {
        byte[] app = [0x80, 204, 0, 2, 1, 2, 3, 4, (byte)'n', (byte)'a', (byte)'m', (byte)'e'];
        var compound = RtpRtcpFixtures.RtcpSr.Concat(RtpRtcpFixtures.RtcpSdes).Concat(app).Concat(RtpRtcpFixtures.RtcpPli).ToArray();
        var reader = new RtcpCompoundReader(compound);
        var types = new List<RtcpPacketType>();
        while (reader.TryNext(out var h, out var packet))
        {
            types.Add(h.Type);
            Assert.Equal(h.Size, packet.Length);
        }

        Assert.False(reader.Malformed);
        Assert.Equal([RtcpPacketType.SenderReport, RtcpPacketType.SourceDescription, RtcpPacketType.ApplicationDefined, RtcpPacketType.PayloadFeedback], types);
    }

    [Fact]
    public void Hostile_rtp_and_rtcp_never_throw()
    {
        var rng = new Random(21);
        var seeds = new[] { RtpRtcpFixtures.RtpWithExtensions, RtpRtcpFixtures.RtcpSr, RtpRtcpFixtures.RtcpSdes, RtpRtcpFixtures.RtcpNack, RtpRtcpFixtures.RtcpRemb, RtpRtcpFixtures.RtcpBye };
        for (var i = 0; i < 50_000; i++)
        {
            byte[] p;
            if (i % 2 == 0)
            {
                p = new byte[rng.Next(0, 80)];
                rng.NextBytes(p);
            }
            else
            {
                p = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                for (var m = rng.Next(1, 4); m > 0; m--)
                {
                    p[rng.Next(p.Length)] = (byte)rng.Next(256);
                }

                p = p[..rng.Next(0, p.Length + 1)];
            }

            if (RtpHeader.TryParse(p, out var h))
            {
                for (byte id = 1; id < 16; id++)
                {
                    RtpExtensions.TryGet(p, h, id, out _);
                }
            }

            var reader = new RtcpCompoundReader(p);
            while (reader.TryNext(out _, out var packet))
            {
                _ = SenderReport.TryParse(packet, out _);
                _ = ReceiverReport.TryParse(packet, out _);
                _ = SourceDescription.TryParse(packet, out _);
                _ = Goodbye.TryParse(packet, out _);
                _ = GenericNack.TryParse(packet, out _, out _);
                _ = FullIntraRequest.TryParse(packet, out _);
                _ = ReceiverEstimatedMaxBitrate.TryParse(packet, out _);
                _ = TransportCcHeader.TryParse(packet, out _);
            }
        }
    }
}
