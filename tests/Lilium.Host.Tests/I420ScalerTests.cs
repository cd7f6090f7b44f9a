using Lilium.Client.Codecs;

namespace Lilium.Host.Tests;

/// <summary>The preset scaler on known pixel patterns, with the exact values area averaging gives.</summary>
[Trait("Category", "Unit")]
public sealed class I420ScalerTests
{
    [Fact]
    public void Halving_gives_the_rounded_mean_of_each_two_by_two_block_on_every_plane()
    {
        // 8x4 -> 4x2. Luma row pairs hold the blocks [10 20; 30 41], [0 255; 255 255], [1 2; 2 2], [7 7; 7 7].
        byte[] luma =
        [
            10, 20, 0, 255, 1, 2, 7, 7,
            30, 41, 255, 255, 2, 2, 7, 7,
            10, 20, 0, 255, 1, 2, 7, 7,
            30, 41, 255, 255, 2, 2, 7, 7,
        ];
        byte[] u = [0, 100, 200, 50, 255, 254, 253, 252]; // 4x2 -> 2x1
        byte[] v = [9, 9, 9, 9, 9, 9, 9, 9];
        var output = Scale([.. luma, .. u, .. v], 8, 4, 4, 2);

        Assert.Equal(new byte[] { 25, 191, 2, 7, 25, 191, 2, 7 }, output[..8]); // 101/4, 765/4, 7/4 rounded; flat stays 7
        Assert.Equal(new byte[] { 152, 189 }, output[8..10]); // (0+100+255+254)/4 = 152.25, (200+50+253+252)/4 = 188.75
        Assert.Equal(new byte[] { 9, 9 }, output[10..12]);
    }

    [Fact]
    public void Two_thirds_averages_each_source_pixel_by_the_area_it_covers()
    {
        // 12x6 -> 8x4 (1920x1080 -> 1280x720 in miniature): output i covers source [1.5i, 1.5i + 1.5).
        // A horizontal ramp 0, 30, 60, 90, 120, 150 (twice) gives (2·0+30)/3 = 10, (30+2·60)/3 = 50, 100, 140.
        var width = 12;
        var height = 6;
        var luma = new byte[width * height];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                luma[(y * width) + x] = (byte)(30 * (x % 6));
            }
        }

        // Chroma 6x3 -> 4x2: a vertical ramp 0, 60, 120 by row gives rows (2·0+60)/3 = 20 and (60+2·120)/3 = 100.
        var u = new byte[6 * 3];
        for (var i = 0; i < u.Length; i++)
        {
            u[i] = (byte)(60 * (i / 6));
        }

        var v = Enumerable.Repeat((byte)128, 6 * 3).ToArray();
        var output = Scale([.. luma, .. u, .. v], width, height, 8, 4);

        for (var y = 0; y < 4; y++)
        {
            Assert.Equal(new byte[] { 10, 50, 100, 140, 10, 50, 100, 140 }, output.AsSpan(y * 8, 8).ToArray());
        }

        Assert.Equal(new byte[] { 20, 20, 20, 20, 100, 100, 100, 100 }, output[32..40]);
        Assert.All(output[40..48], b => Assert.Equal(128, b));
    }

    [Fact]
    public unsafe void A_1080p_frame_half_red_half_blue_scales_to_720p_with_a_sharp_edge_at_the_scaled_place()
    {
        // The whole host path minus capture: BGRA -> I420 at 1920x1080 -> 1280x720. The edge at source column 960
        // lands exactly at 640, so every output pixel is one colour: BT.601 red (Y 82, U 90, V 240) or blue (41, 240, 110).
        const int W = 1920, H = 1080, w = 1280, h = 720;
        var bgra = new uint[W * H];
        for (var y = 0; y < H; y++)
        {
            bgra.AsSpan((y * W), W / 2).Fill(0xFFFF0000);
            bgra.AsSpan((y * W) + (W / 2), W / 2).Fill(0xFF0000FF);
        }

        var full = new byte[I420Converter.BufferSize(W, H)];
        fixed (uint* p = bgra)
        {
            I420Converter.Convert((nint)p, W * 4, W, H, full);
        }

        var scaled = new byte[I420Converter.BufferSize(w, h)];
        new I420Scaler(W, H, w, h).Scale(full, scaled);
        for (var y = 0; y < h; y += 7)
        {
            for (var x = 0; x < w; x++)
            {
                Assert.Equal(x < 640 ? 82 : 41, scaled[(y * w) + x]);
            }
        }

        for (var y = 0; y < h / 2; y += 5)
        {
            for (var x = 0; x < w / 2; x++)
            {
                Assert.Equal(x < 320 ? 90 : 240, scaled[(w * h) + (y * (w / 2)) + x]);
                Assert.Equal(x < 320 ? 240 : 110, scaled[(w * h) + (w * h / 4) + (y * (w / 2)) + x]);
            }
        }
    }

    [Fact]
    public void The_vector_path_equals_the_scalar_formula_on_random_pixels_at_odd_ratios()
    {
        // 100x40 -> 34x26: widths the 32-byte loop does not divide, three-tap horizontal windows.
        var random = new Random(7);
        var source = new byte[I420Converter.BufferSize(100, 40)];
        random.NextBytes(source);
        var output = Scale(source, 100, 40, 34, 26);
        var taps = PlaneScaler.Taps.Area(100, 34);
        var rows = PlaneScaler.Taps.Area(40, 26);
        for (var y = 0; y < 26; y++)
        {
            for (var x = 0; x < 34; x++)
            {
                var sum = 256 * 256 / 2;
                for (var j = 0; j < rows.Count; j++)
                {
                    var column = 0;
                    for (var i = 0; i < taps.Count; i++)
                    {
                        column += taps.Weights[(x * taps.Count) + i] * source[((rows.Start[y] + j) * 100) + taps.Start[x] + i];
                    }

                    sum += rows.Weights[(y * rows.Count) + j] * column;
                }

                Assert.Equal(sum >> 16, output[(y * 34) + x]);
            }
        }
    }

    [Theory]
    [InlineData(1920, 1280)]
    [InlineData(1080, 720)]
    [InlineData(2560, 1280)]
    [InlineData(100, 34)]
    [InlineData(7, 7)]
    public void Every_output_weights_its_source_by_exactly_one(int source, int output)
    {
        var taps = PlaneScaler.Taps.Area(source, output);
        for (var i = 0; i < output; i++)
        {
            var weights = taps.Weights.AsSpan(i * taps.Count, taps.Count);
            var total = 0;
            foreach (var w in weights)
            {
                total += w;
            }

            Assert.Equal(256, total);
            Assert.InRange(taps.Start[i], 0, source - taps.Count);
        }
    }

    [Fact]
    public void Enlarging_and_odd_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new I420Scaler(1280, 720, 1920, 1080));
        Assert.Throws<ArgumentException>(() => new I420Scaler(1920, 1080, 1279, 720));
    }

    [Theory]
    [InlineData("720p", 1920, 1080, 1280, 720)]
    [InlineData("720p", 2560, 1080, 1280, 540)]   // ultrawide: width-bound
    [InlineData("720p", 1280, 1024, 900, 720)]    // 5:4: height-bound
    [InlineData("720p", 1366, 768, 1280, 720)]
    [InlineData("720p", 1024, 600, 1024, 600)]    // smaller than the preset: kept, never enlarged
    [InlineData("1080p", 3840, 2160, 1920, 1080)]
    [InlineData("1080p", 1920, 1200, 1728, 1080)]
    [InlineData("1080p60", 2560, 1440, 1920, 1080)]
    [InlineData("native", 2560, 1440, 2560, 1440)]
    public void Presets_fit_the_picture_in_their_box_keeping_its_shape(string preset, int sw, int sh, int w, int h)
    {
        var settings = VideoPresets.Settings(preset, "VP8", sw, sh);
        Assert.Equal((w, h), (settings.Width, settings.Height));
    }

    private static byte[] Scale(byte[] source, int sw, int sh, int w, int h)
    {
        var output = new byte[I420Converter.BufferSize(w, h)];
        new I420Scaler(sw, sh, w, h).Scale(source, output);
        return output;
    }
}
