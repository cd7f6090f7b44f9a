using System.Buffers.Binary;
using Lilium.Relay.Media;
using Lilium.WebRtc.Rtp;

namespace Lilium.Relay.Tests;

/// <summary>
/// Keyframe detection for the codecs of issue 25 item 4 (a late viewer binds on the first packet of a keyframe) and the
/// pass-through of the AV1 dependency descriptor. The payloads follow the payload formats byte by byte: VP9 RFC 9628
/// §4.2, AV1 RTP spec §4.4–4.5, H.264 RFC 6184 §5.6–5.8.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CodecKeyframeTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Theory]
    // I P L F B E V Z: what Chromium sends for L1T3 (non-flexible): I=1 L=1 B=1 V=1 | M=1 15-bit picture id | TID/U/SID/D | TL0PICIDX | SS …
    [InlineData("aa 80 01 00 05 18 01 40 00 f0 01 82 49 83 42", true)]
    [InlineData("ea 80 02 40 05 82 49", false)]           // P=1: inter-predicted (a T1 frame)
    [InlineData("a2 80 01 00 05 82 49", false)]           // B=0: a later packet of the keyframe
    [InlineData("aa 80 01 02 05 82 49", false)]           // SID=1: not the base spatial layer
    [InlineData("b8 05 00 82 49 83 42", true)]            // flexible mode: I=1 (7-bit id) L=1 F=1 B=1, no TL0PICIDX
    [InlineData("f8 05 20 02 82 49", false)]              // flexible, P=1 with a reference index
    [InlineData("08 82 49 83 42", true)]                  // no picture id, no layer indices
    [InlineData("aa 80", false)]                          // truncated inside the picture id
    [InlineData("aa 80 01 00 05", false)]                 // descriptor only, no payload
    [InlineData("a8", false)]                             // I and L announced, nothing follows
    public void Vp9_keyframe_starts_where_B_is_set_P_is_not_on_the_base_spatial_layer(string hex, bool expected)
    {
        Assert.Equal(expected, Keyframes.StartsKeyframe("VP9", Hex(hex)));
    }

    [Theory]
    [InlineData("18 0a 0b 00 00 00 24 c4", true)]         // Z=0 Y=0 W=1 N=1: a new coded video sequence
    [InlineData("28 0a 0b 00 00 00 24 c4 09 32", true)]   // W=2 N=1
    [InlineData("10 0a 0b 00 00 00 24", true)]            // N=0 but the first OBU is a sequence header (obu_type 1)
    [InlineData("00 07 0a 0b 00 00 00 24 c4 32 00", true)] // W=0: a LEB128 length, then the sequence header
    [InlineData("10 32 10 00", false)]                    // W=1, a frame OBU (type 6): a delta frame
    [InlineData("20 03 32 01 02 32 00", false)]           // W=2, frame OBUs
    [InlineData("90 0a 0b", false)]                       // Z=1: continues an OBU; not a start
    [InlineData("00 85 01 32", false)]                    // two-octet LEB128 length, then a frame OBU
    [InlineData("00 80 80", false)]                       // a LEB128 length that never ends
    [InlineData("00 ff ff ff ff ff ff ff ff 0a", false)]  // longer than 8 octets
    [InlineData("10", false)]                             // nothing after the aggregation header
    public void Av1_keyframe_is_the_N_bit_or_a_leading_sequence_header(string hex, bool expected)
    {
        Assert.Equal(expected, Keyframes.StartsKeyframe("AV1", Hex(hex)));
    }

    [Theory]
    [InlineData("65 88 84 00", true)]                     // IDR slice
    [InlineData("67 42 e0 1f", true)]                     // SPS
    [InlineData("68 ce 3c 80", false)]                    // PPS alone
    [InlineData("06 05 ff", false)]                       // SEI
    [InlineData("78 00 02 09 10 00 04 67 42 e0 1f 00 02 68 ce", true)] // STAP-A: AUD, SPS, PPS
    [InlineData("78 00 02 09 10 00 02 68 ce", false)]    // STAP-A: AUD, PPS
    [InlineData("78 00 02 09 10 00 03 65 88 84", true)]  // STAP-A: AUD, IDR
    [InlineData("7c 85 88 84", true)]                     // FU-A, S=1, IDR
    [InlineData("7c 45 88 84", false)]                    // FU-A, E=1: the end of an IDR
    [InlineData("5c 81 9a", false)]                       // FU-A, S=1, non-IDR slice
    [InlineData("7c", false)]                             // FU-A without its header
    [InlineData("78 00", false)]                          // STAP-A without a NAL
    public void H264_keyframe_is_an_idr_or_sps_alone_aggregated_or_fragmented(string hex, bool expected)
    {
        Assert.Equal(expected, Keyframes.StartsKeyframe("H264", Hex(hex)));
    }

    [Fact]
    public void Hostile_payloads_never_throw()
    {
        var random = new Random(25);
        var buffer = new byte[24];
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(1, buffer.Length + 1);
            random.NextBytes(buffer.AsSpan(0, length));
            foreach (var codec in new[] { "VP8", "VP9", "AV1", "H264" })
            {
                _ = Keyframes.StartsKeyframe(codec, buffer.AsSpan(0, length));
            }
        }
    }

    // A descriptor with its template structure, as Chromium's first AV1 packet of an L1T3 keyframe carries (> 16 bytes).
    private static readonly byte[] Descriptor = Hex("80 00 01 80 00 3c 66 a0 01 01 2a 0a 50 00 00 00 14 00 0e 00");

    [Fact]
    public void A_long_dependency_descriptor_is_passed_on_unchanged_in_the_two_byte_form()
    {
        // The publisher's packet: two-byte extension block with the descriptor (id 12) and a transport-wide number (id 3).
        var block = new List<byte> { 12, (byte)Descriptor.Length };
        block.AddRange(Descriptor);
        block.AddRange([3, 2, 0x01, 0x02]);
        while (block.Count % 4 != 0)
        {
            block.Add(0);
        }

        var source = new byte[12 + 4 + block.Count + 5];
        RtpHeader.WriteFixed(source, marker: true, 45, 100, 9000, 0xAABBCCDD);
        source[0] |= 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(source.AsSpan(12), RtpExtensions.TwoByteProfile);
        BinaryPrimitives.WriteUInt16BigEndian(source.AsSpan(14), (ushort)(block.Count / 4));
        block.CopyTo(source, 16);
        "AV1!!"u8.CopyTo(source.AsSpan(16 + block.Count));
        Assert.True(RtpHeader.TryParse(source, out var header));
        Assert.True(RtpExtensions.TryGet(source, header, 12, out var published));

        var target = new byte[256];
        var length = RtpRewriter.Rewrite(source, header, target, 45, 7, 8, 0x01020304, 4, "1"u8, 0, default, 0, default, 5, out var sequenceAt, 13, published);

        var packet = target.AsSpan(0, length);
        Assert.True(RtpHeader.TryParse(packet, out var rewritten));
        Assert.Equal(RtpExtensions.TwoByteProfile, rewritten.ExtensionProfile);
        Assert.True(RtpExtensions.TryGet(packet, rewritten, 13, out var descriptor));
        Assert.Equal(Descriptor, descriptor.ToArray());
        Assert.True(RtpExtensions.TryGet(packet, rewritten, 4, out var mid));
        Assert.Equal("1"u8.ToArray(), mid.ToArray());
        Assert.False(RtpExtensions.TryGet(packet, rewritten, 12, out _)); // the publisher's ids are not kept
        Assert.True(sequenceAt > 0);
        BinaryPrimitives.WriteUInt16BigEndian(target.AsSpan(sequenceAt), 0xBEEF);
        Assert.True(RtpExtensions.TryGetTransportSequence(packet, rewritten, 5, out var sequence));
        Assert.Equal(0xBEEF, sequence);
        Assert.Equal("AV1!!"u8.ToArray(), packet[rewritten.HeaderLength..].ToArray());
    }

    [Fact]
    public void A_short_dependency_descriptor_keeps_the_one_byte_form()
    {
        var source = Hex("90 2d 00 64 00 00 23 28 aa bb cc dd" + "be de 00 02" + "c2 40 01 02" + "00 00 00 00" + "41 56 31");
        Assert.True(RtpHeader.TryParse(source, out var header));
        Assert.True(RtpExtensions.TryGet(source, header, 12, out var published));
        Assert.Equal(3, published.Length);
        var target = new byte[128];

        var length = RtpRewriter.Rewrite(source, header, target, 45, 7, 8, 0x01020304, 4, "1"u8, 0, default, 0, default, 0, out _, 13, published);

        var packet = target.AsSpan(0, length);
        Assert.True(RtpHeader.TryParse(packet, out var rewritten));
        Assert.Equal(RtpExtensions.OneByteProfile, rewritten.ExtensionProfile);
        Assert.True(RtpExtensions.TryGet(packet, rewritten, 13, out var descriptor));
        Assert.Equal(Hex("40 01 02"), descriptor.ToArray());
        Assert.Equal("AV1"u8.ToArray(), packet[rewritten.HeaderLength..].ToArray());
    }
}
