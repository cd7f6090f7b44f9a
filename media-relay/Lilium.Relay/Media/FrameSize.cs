using System.Buffers.Binary;

namespace Lilium.Relay.Media;

/// <summary>
/// The picture size a keyframe announces, read from the first RTP packet of the keyframe (the one
/// <see cref="Keyframes.StartsKeyframe"/> recognises): VP8's keyframe header, VP9's scalability structure or uncompressed
/// header, H.264's sequence parameter set. A simulcast layer's size is how the relay matches a viewer's visible size to
/// a layer (<see cref="ViewerVideoHint"/>). Never throws on hostile bytes: anything short, inconsistent or out of range
/// is no size. AV1 (its sequence header sits behind OBU framing and variable-length fields) is not read: no size.
/// </summary>
internal static class FrameSize
{
    /// <summary>The largest width or height taken as real (VP8's 14-bit fields reach 16383; H.264 levels stop below).</summary>
    public const int MaxSide = 16_384;

    public static bool TryParse(string encodingName, ReadOnlySpan<byte> payload, out int width, out int height)
    {
        (width, height) = (0, 0);
        if (payload.IsEmpty)
        {
            return false;
        }

        var found = encodingName.ToUpperInvariant() switch
        {
            "VP8" => Vp8(payload, out width, out height),
            "VP9" => Vp9(payload, out width, out height),
            "H264" => H264(payload, out width, out height),
            _ => false,
        };
        if (!found || width is < 1 or > MaxSide || height is < 1 or > MaxSide)
        {
            (width, height) = (0, 0);
            return false;
        }

        return true;
    }

    // RFC 6386 §9.1: a key frame's 3-octet frame tag (bit 0 of the first = 0: key frame), the start code 9d 01 2a, then
    // two little-endian 16-bit fields: 14 bits of width (height) and 2 bits of scaling, which the size does not include.
    internal static bool Vp8(ReadOnlySpan<byte> p, out int width, out int height)
    {
        (width, height) = (0, 0);
        var at = Keyframes.Vp8FrameStart(p);
        if (at < 0 || p.Length < at + 10 || (p[at] & 0x01) != 0 || p[at + 3] != 0x9d || p[at + 4] != 0x01 || p[at + 5] != 0x2a)
        {
            return false;
        }

        width = BinaryPrimitives.ReadUInt16LittleEndian(p[(at + 6)..]) & 0x3FFF;
        height = BinaryPrimitives.ReadUInt16LittleEndian(p[(at + 8)..]) & 0x3FFF;
        return true;
    }

    // RFC 9628 §4.2: |I|P|L|F|B|E|V|Z|, picture id (I), layer indices (L; + TL0PICIDX when F=0), reference indices (F and
    // P; a keyframe has none), then with V the scalability structure: |N_S|Y|G|-|-|-|, with Y each spatial layer's
    // 16-bit width and height (the base layer first). Without it, the VP9 uncompressed header (VP9 bitstream §6.2).
    internal static bool Vp9(ReadOnlySpan<byte> p, out int width, out int height)
    {
        (width, height) = (0, 0);
        var first = p[0];
        var at = Keyframes.Vp9KeyframeStart(p);
        if (at < 0)
        {
            return false; // inter-predicted, not the start of a frame, not the base layer, or cut short
        }

        if ((first & 0x02) != 0)
        {
            if (p.Length <= at)
            {
                return false;
            }

            var ss = p[at++];
            var layers = (ss >> 5) + 1;
            if ((ss & 0x10) != 0)
            {
                if (p.Length < at + 4 * layers)
                {
                    return false;
                }

                width = BinaryPrimitives.ReadUInt16BigEndian(p[at..]);
                height = BinaryPrimitives.ReadUInt16BigEndian(p[(at + 2)..]);
                return true;
            }

            if ((ss & 0x08) != 0)
            {
                if (p.Length <= at)
                {
                    return false;
                }

                var pictures = p[at++];
                for (var i = 0; i < pictures; i++)
                {
                    if (p.Length <= at)
                    {
                        return false;
                    }

                    at += 1 + ((p[at] >> 2) & 0x03); // |T|U|R|-|-| then R reference differences
                }
            }
        }

        return at < p.Length && Vp9UncompressedHeader(p[at..], out width, out height);
    }

    // VP9 bitstream §6.2: frame_marker (2) = 2, profile_low_bit, profile_high_bit, [reserved_zero if profile 3],
    // show_existing_frame, frame_type (0 = key), show_frame, error_resilient_mode, frame_sync_code 49 83 42,
    // color_config (§6.2.2), then frame_width_minus_1 (16) and frame_height_minus_1 (16).
    internal static bool Vp9UncompressedHeader(ReadOnlySpan<byte> frame, out int width, out int height)
    {
        (width, height) = (0, 0);
        var bits = new BitReader(frame);
        if (bits.Read(2) != 2)
        {
            return false;
        }

        var profile = bits.Read(1) | (bits.Read(1) << 1);
        if (profile == 3)
        {
            bits.Read(1);
        }

        if (bits.Read(1) == 1 || bits.Read(1) != 0)
        {
            return false; // show_existing_frame, or not a key frame
        }

        bits.Read(2); // show_frame, error_resilient_mode
        if (bits.Read(24) != 0x498342)
        {
            return false;
        }

        if (profile >= 2)
        {
            bits.Read(1); // ten_or_twelve_bit
        }

        var colorSpace = bits.Read(3);
        if (colorSpace != 7)
        {
            bits.Read(1); // color_range
            if (profile is 1 or 3)
            {
                bits.Read(3); // subsampling_x, subsampling_y, reserved_zero
            }
        }
        else if (profile is 1 or 3)
        {
            bits.Read(1); // reserved_zero (RGB)
        }

        width = (int)bits.Read(16) + 1;
        height = (int)bits.Read(16) + 1;
        return !bits.Overrun;
    }

    // RFC 6184 §5.6–5.8: an SPS (NAL type 7) alone, first in a STAP-A (24), or at the start of an FU-A (28) fragment.
    internal static bool H264(ReadOnlySpan<byte> p, out int width, out int height)
    {
        (width, height) = (0, 0);
        switch (p[0] & 0x1F)
        {
            case 7:
                return H264Sps(p[1..], out width, out height);
            case 24:
                for (var at = 1; at + 2 < p.Length;)
                {
                    var size = (p[at] << 8) | p[at + 1];
                    if (size == 0 || at + 2 + size > p.Length)
                    {
                        return false;
                    }

                    if ((p[at + 2] & 0x1F) == 7)
                    {
                        return H264Sps(p.Slice(at + 3, size - 1), out width, out height);
                    }

                    at += 2 + size;
                }

                return false;
            case 28:
                return p.Length > 2 && (p[1] & 0x80) != 0 && (p[1] & 0x1F) == 7 && H264Sps(p[2..], out width, out height);
            default:
                return false;
        }
    }

    /// <summary>The profiles whose SPS carries chroma format, bit depths and scaling matrices (H.264 §7.3.2.1.1).</summary>
    private static bool HighProfile(uint profile) => profile is 100 or 110 or 122 or 244 or 44 or 83 or 86 or 118 or 128 or 138 or 139 or 134 or 135;

    // H.264 §7.3.2.1.1 seq_parameter_set_data (the NAL header already skipped), emulation prevention removed first
    // (§7.4.1: 00 00 03 → 00 00). The size: (pic_width_in_mbs_minus1 + 1) × 16 and (2 − frame_mbs_only_flag) ×
    // (pic_height_in_map_units_minus1 + 1) × 16, less the frame cropping in crop units (§7.4.2.1.1, Table 6-1).
    internal static bool H264Sps(ReadOnlySpan<byte> nal, out int width, out int height)
    {
        (width, height) = (0, 0);
        Span<byte> rbsp = stackalloc byte[Math.Min(nal.Length, 256)];
        var length = 0;
        var zeros = 0;
        foreach (var b in nal[..rbsp.Length])
        {
            if (zeros >= 2 && b == 3)
            {
                zeros = 0;
                continue;
            }

            zeros = b == 0 ? zeros + 1 : 0;
            rbsp[length++] = b;
        }

        var bits = new BitReader(rbsp[..length]);
        var profile = bits.Read(8);
        bits.Read(16); // constraint flags, level_idc
        bits.ReadExpGolomb(); // seq_parameter_set_id
        var chromaFormat = 1u;
        var separatePlanes = false;
        if (HighProfile(profile))
        {
            chromaFormat = bits.ReadExpGolomb();
            if (chromaFormat > 3)
            {
                return false;
            }

            if (chromaFormat == 3)
            {
                separatePlanes = bits.Read(1) == 1;
            }

            bits.ReadExpGolomb(); // bit_depth_luma_minus8
            bits.ReadExpGolomb(); // bit_depth_chroma_minus8
            bits.Read(1); // qpprime_y_zero_transform_bypass_flag
            if (bits.Read(1) == 1)
            {
                for (var i = 0; i < (chromaFormat != 3 ? 8 : 12) && !bits.Overrun; i++)
                {
                    if (bits.Read(1) == 1)
                    {
                        SkipScalingList(ref bits, i < 6 ? 16 : 64);
                    }
                }
            }
        }

        bits.ReadExpGolomb(); // log2_max_frame_num_minus4
        var pocType = bits.ReadExpGolomb();
        if (pocType == 0)
        {
            bits.ReadExpGolomb(); // log2_max_pic_order_cnt_lsb_minus4
        }
        else if (pocType == 1)
        {
            bits.Read(1); // delta_pic_order_always_zero_flag
            bits.ReadExpGolomb(); // offset_for_non_ref_pic
            bits.ReadExpGolomb(); // offset_for_top_to_bottom_field
            var cycle = bits.ReadExpGolomb();
            if (cycle > 255)
            {
                return false;
            }

            for (var i = 0u; i < cycle && !bits.Overrun; i++)
            {
                bits.ReadExpGolomb(); // offset_for_ref_frame
            }
        }
        else if (pocType != 2)
        {
            return false;
        }

        bits.ReadExpGolomb(); // max_num_ref_frames
        bits.Read(1); // gaps_in_frame_num_value_allowed_flag
        var widthInMbs = bits.ReadExpGolomb() + 1L;
        var heightInMapUnits = bits.ReadExpGolomb() + 1L;
        var frameMbsOnly = bits.Read(1);
        if (frameMbsOnly == 0)
        {
            bits.Read(1); // mb_adaptive_frame_field_flag
        }

        bits.Read(1); // direct_8x8_inference_flag
        long cropLeft = 0, cropRight = 0, cropTop = 0, cropBottom = 0;
        if (bits.Read(1) == 1)
        {
            (cropLeft, cropRight, cropTop, cropBottom) = (bits.ReadExpGolomb(), bits.ReadExpGolomb(), bits.ReadExpGolomb(), bits.ReadExpGolomb());
        }

        if (bits.Overrun)
        {
            return false;
        }

        var chromaArrayType = separatePlanes ? 0 : chromaFormat;
        var (subWidth, subHeight) = chromaArrayType switch { 1 => (2, 2), 2 => (2, 1), _ => (1, 1) };
        var cropUnitX = chromaArrayType == 0 ? 1 : subWidth;
        var cropUnitY = (chromaArrayType == 0 ? 1 : subHeight) * (2 - (int)frameMbsOnly);
        var w = widthInMbs * 16 - cropUnitX * (cropLeft + cropRight);
        var h = (2 - frameMbsOnly) * heightInMapUnits * 16 - cropUnitY * (cropTop + cropBottom);
        if (w is < 1 or > MaxSide || h is < 1 or > MaxSide)
        {
            return false;
        }

        (width, height) = ((int)w, (int)h);
        return true;
    }

    // H.264 §7.3.2.1.1.1 scaling_list: delta_scale se(v) until next_scale is 0.
    private static void SkipScalingList(ref BitReader bits, int size)
    {
        var last = 8L;
        var next = 8L;
        for (var j = 0; j < size && !bits.Overrun; j++)
        {
            if (next != 0)
            {
                next = (last + bits.ReadSignedExpGolomb() + 256) % 256;
            }

            last = next == 0 ? last : next;
        }
    }

    /// <summary>An MSB-first bit reader that reads zeros past the end and remembers it did (<see cref="Overrun"/>).</summary>
    private ref struct BitReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private long _bit;

        public bool Overrun { get; private set; }

        public uint Read(int count)
        {
            var value = 0u;
            for (var i = 0; i < count; i++)
            {
                value = (value << 1) | Bit();
            }

            return value;
        }

        /// <summary>ue(v) (§9.1), at most 31 leading zeros; a longer run sets <see cref="Overrun"/>.</summary>
        public uint ReadExpGolomb()
        {
            var zeros = 0;
            while (Bit() == 0)
            {
                if (Overrun || ++zeros > 31)
                {
                    Overrun = true;
                    return 0;
                }
            }

            return (uint)((1L << zeros) - 1 + Read(zeros));
        }

        /// <summary>se(v) (§9.1.1).</summary>
        public long ReadSignedExpGolomb()
        {
            var k = (long)ReadExpGolomb();
            return (k & 1) == 1 ? (k + 1) / 2 : -(k / 2);
        }

        private uint Bit()
        {
            if (_bit >= _data.Length * 8L)
            {
                Overrun = true;
                return 0;
            }

            var bit = (uint)(_data[(int)(_bit >> 3)] >> (7 - (int)(_bit & 7))) & 1;
            _bit++;
            return bit;
        }
    }
}
