using System.Buffers.Binary;
using Lilium.WebRtc.Rtp;

namespace Lilium.WebRtc.Tests;

/// <summary>RTX (RFC 4588 §4): wrap into the retransmission format and repair back into the original.</summary>
[Trait("Category", "Unit")]
public sealed class RtxTests
{
    private static byte[] Original(bool padding = false)
    {
        // V=2, X=1, CC=1, marker, PT 96, seq 0xBEEF, ts 0x01020304, SSRC 0x11111111, one CSRC, a mid + twcc extension,
        // a 6-byte payload; optionally 3 bytes of padding.
        var packet = new byte[80];
        var n = RtpHeader.WriteFixed(packet, true, 96, 0xBEEF, 0x01020304, 0x11111111);
        packet[0] |= 0x10 | 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(n), 0xCCCCCCCC);
        n += 4;
        n += RtpExtensions.Write(packet.AsSpan(n), [(9, "0"u8.ToArray()), (4, [0x00, 0x07])]);
        "ABCDEF"u8.CopyTo(packet.AsSpan(n));
        n += 6;
        if (padding)
        {
            packet[0] |= 0x20;
            packet[n] = 0;
            packet[n + 1] = 0;
            packet[n + 2] = 3;
            n += 3;
        }

        return packet[..n];
    }

    [Fact]
    public void Wrap_puts_the_osn_first_and_keeps_timestamp_marker_csrcs_and_extensions()
    {
        var original = Original();
        var rtx = new byte[original.Length + 2];
        Assert.True(Rtx.TryWrap(original, rtx, 0x22222222, 97, 500, out var n));
        Assert.Equal(original.Length + 2, n);
        Assert.True(RtpHeader.TryParse(rtx, out var h));
        Assert.Equal((true, (byte)97, (ushort)500, 0x01020304u, 0x22222222u, 1), (h.Marker, h.PayloadType, h.SequenceNumber, h.Timestamp, h.Ssrc, h.CsrcCount));
        Assert.Equal(0xBEEF, BinaryPrimitives.ReadUInt16BigEndian(rtx.AsSpan(h.HeaderLength)));
        Assert.Equal("ABCDEF"u8.ToArray(), rtx[(h.HeaderLength + 2)..]);
        Assert.True(RtpExtensions.TryGetSdesItem(rtx, h, 9, out var mid));
        Assert.Equal("0"u8.ToArray(), mid.ToArray());
        Assert.True(Rtx.TryGetOriginalSequence(rtx, out var osn));
        Assert.Equal(0xBEEF, osn);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Wrap_in_place_gives_the_same_bytes_as_wrap_into_another_buffer(bool padding)
    {
        var original = Original(padding);
        var expected = new byte[original.Length + 2];
        Assert.True(Rtx.TryWrap(original, expected, 0x22222222, 97, 500, out var n));

        var buffer = new byte[original.Length + 16];
        buffer.AsSpan(original.Length).Fill(0xEE);
        original.CopyTo(buffer, 0);
        Assert.True(Rtx.TryWrapInPlace(buffer, original.Length, 0x22222222, 97, 500, out var m));
        Assert.Equal(expected[..n], buffer[..m]);
        Assert.True(Rtx.TryUnwrap(buffer.AsSpan(0, m), buffer, 0x11111111, 96, out var back));
        Assert.Equal(Original(), buffer[..back]); // the padding is not carried
    }

    [Fact]
    public void Wrap_in_place_refuses_a_full_buffer_and_garbage_and_leaves_them_alone()
    {
        var original = Original();
        var tight = (byte[])original.Clone();
        Assert.False(Rtx.TryWrapInPlace(tight, tight.Length, 0x22222222, 97, 500, out _));
        Assert.Equal(original, tight);
        Assert.False(Rtx.TryWrapInPlace(new byte[40], 40, 1, 97, 1, out _)); // version 0
        Assert.False(Rtx.TryWrapInPlace(new byte[20], 30, 1, 97, 1, out _)); // length beyond the buffer

        var stream = new RtxStream(0x22222222, 97, 0xFFFF);
        var buffer = new byte[original.Length + 2];
        original.CopyTo(buffer, 0);
        Assert.True(stream.TryWrapInPlace(buffer, original.Length, out _));
        Assert.True(RtpHeader.TryParse(buffer, out var h));
        Assert.Equal(((ushort)0xFFFF, (ushort)0, 1L), (h.SequenceNumber, stream.NextSequence, stream.PacketsSent));
    }

    [Fact]
    public void Unwrap_repairs_the_original_exactly_and_in_place()
    {
        var original = Original();
        var rtx = new byte[100];
        Assert.True(Rtx.TryWrap(original, rtx, 0x22222222, 97, 500, out var n));

        var repaired = new byte[100];
        Assert.True(Rtx.TryUnwrap(rtx.AsSpan(0, n), repaired, 0x11111111, 96, out var m));
        Assert.Equal(original, repaired[..m]);

        Assert.True(Rtx.TryUnwrap(rtx.AsSpan(0, n), rtx, 0x11111111, 96, out m));
        Assert.Equal(original, rtx[..m]);
    }

    [Fact]
    public void The_originals_padding_is_not_carried()
    {
        var padded = Original(padding: true);
        var rtx = new byte[100];
        Assert.True(Rtx.TryWrap(padded, rtx, 0x22222222, 97, 1, out var n));
        Assert.Equal(padded.Length - 3 + 2, n);
        Assert.True(Rtx.TryUnwrap(rtx.AsSpan(0, n), rtx, 0x11111111, 96, out var m));
        Assert.Equal(Original(), rtx[..m]);
    }

    [Fact]
    public void Stream_numbers_its_own_packets_and_writes_padding_only_probes()
    {
        var stream = new RtxStream(0x22222222, 97, 65535);
        var buffer = new byte[300];
        Assert.True(stream.TryWrap(Original(), buffer, out _));
        Assert.True(RtpHeader.TryParse(buffer, out var first));
        Assert.Equal(65535, first.SequenceNumber);

        var size = stream.WritePadding(buffer, 200, 1234);
        Assert.Equal(200, size);
        Assert.True(RtpHeader.TryParse(buffer.AsSpan(0, size), out var padding));
        Assert.Equal((true, 0, (ushort)0, 97), (padding.Padding, padding.PayloadLength, padding.SequenceNumber, (int)padding.PayloadType));
        Assert.False(Rtx.TryUnwrap(buffer.AsSpan(0, size), buffer, 1, 96, out _)); // nothing to repair
        Assert.Equal(2, stream.PacketsSent);
        Assert.Equal(1, stream.NextSequence);

        // A probe's padding carries the transport-wide sequence so that feedback covers it.
        size = stream.WritePadding(buffer, 250, 1234, transportCcId: 4, transportSequence: 777);
        Assert.Equal(250, size);
        Assert.True(RtpHeader.TryParse(buffer.AsSpan(0, size), out var probe));
        Assert.Equal((0, 20, (ushort)1), (probe.PayloadLength, probe.HeaderLength, probe.SequenceNumber));
        Assert.True(RtpExtensions.TryGetTransportSequence(buffer, probe, 4, out var seq));
        Assert.Equal(777, seq);
    }

    [Fact]
    public void Hostile_input_and_small_buffers_are_refused_without_throwing()
    {
        var original = Original();
        Assert.False(Rtx.TryWrap(original, new byte[original.Length + 1], 1, 97, 0, out _));
        Assert.False(Rtx.TryWrap(original.AsSpan(0, 11), new byte[100], 1, 97, 0, out _));
        var rtx = new byte[100];
        Assert.True(Rtx.TryWrap(original, rtx, 1, 97, 0, out var n));
        Assert.False(Rtx.TryUnwrap(rtx.AsSpan(0, n), new byte[n - 3], 1, 96, out _));

        var random = new Random(3);
        var destination = new byte[400];
        for (var i = 0; i < 20_000; i++)
        {
            var packet = new byte[random.Next(0, 300)];
            random.NextBytes(packet);
            if (packet.Length > 0)
            {
                packet[0] = (byte)(0x80 | (packet[0] & 0x3F));
            }

            _ = Rtx.TryWrap(packet, destination, 1, 97, 0, out _);
            _ = Rtx.TryUnwrap(packet, destination, 1, 96, out _);
            _ = Rtx.TryUnwrap(packet, packet, 1, 96, out _);
        }
    }
}
