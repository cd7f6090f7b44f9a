using Lilium.Client.Codecs;

namespace Lilium.Host.Tests;

[Trait("Category", "Unit")]
public sealed class I420ConverterTests
{
    [Theory]
    [InlineData(64, 32)]
    [InlineData(70, 6)]   // a width the vector loops do not divide: the scalar tail runs
    [InlineData(2, 2)]
    public unsafe void The_vector_paths_match_the_formula_on_random_pixels(int width, int height)
    {
        var stride = (width * 4) + 8;
        var bgra = new byte[stride * height];
        new Random(width * height).NextBytes(bgra);
        var i420 = new byte[I420Converter.BufferSize(width, height)];
        fixed (byte* p = bgra)
        {
            I420Converter.Convert((nint)p, stride, width, height, i420);
        }

        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var o = (y * stride) + (x * 4);
                int b = bgra[o], g = bgra[o + 1], r = bgra[o + 2];
                Assert.Equal((((66 * r) + (129 * g) + (25 * b) + 128) >> 8) + 16, i420[(y * width) + x]);
            }
        }

        var cw = width / 2;
        for (var y = 0; y < height / 2; y++)
        {
            for (var x = 0; x < cw; x++)
            {
                int b = 0, g = 0, r = 0;
                foreach (var (dx, dy) in new[] { (0, 0), (1, 0), (0, 1), (1, 1) })
                {
                    var o = (((2 * y) + dy) * stride) + (((2 * x) + dx) * 4);
                    b += bgra[o];
                    g += bgra[o + 1];
                    r += bgra[o + 2];
                }

                Assert.Equal((((-38 * r) - (74 * g) + (112 * b) + 512) >> 10) + 128, i420[(width * height) + (y * cw) + x]);
                Assert.Equal((((112 * r) - (94 * g) - (18 * b) + 512) >> 10) + 128, i420[(width * height) + (cw * (height / 2)) + (y * cw) + x]);
            }
        }
    }

    [Fact]
    public void Odd_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => I420Converter.Convert(0, 12, 3, 2, new byte[100]));
    }
}
