using System.Diagnostics;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Xunit.Abstractions;

namespace Lilium.Host.Tests;

/// <summary>The P/Invoke encoders on synthetic frames: keyframes only when forced, decodable output, bitrate changes.</summary>
[Trait("Category", "Desktop")]
public sealed class EncoderTests(ITestOutputHelper output)
{
    private static byte[] Frame(int width, int height, int shift)
    {
        var frame = new byte[I420Converter.BufferSize(width, height)];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                frame[(y * width) + x] = (byte)(((x + shift) / 16 * 37) + (y / 16 * 11));
            }
        }

        frame.AsSpan(width * height).Fill(128);
        return frame;
    }

    [Theory]
    [InlineData("VP8", 640, 360)]
    [InlineData("H264", 640, 360)]
    [InlineData("VP8", 1920, 1080)]
    public void Keyframes_come_only_when_forced(string codec, int w, int h)
    {
        using var encoder = new VideoEncoderSettings(codec, w, h, 30, 1000).Open();
        var keys = new List<int>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 90; i++)
        {
            var encoded = encoder.Encode(Frame(w, h, i * 4), i, keyframe: i == 0 || i == 70);
            Assert.False(encoded.Data.IsEmpty);
            if (encoded.IsKeyframe)
            {
                keys.Add(i);
            }

            if (codec == "H264")
            {
                Assert.Equal(encoded.IsKeyframe, H264Packetizer.IsIdr(encoded.Data, []));
            }
            else
            {
                Assert.Equal(encoded.IsKeyframe, Vp8Packetizer.IsKeyframe(encoded.Data));
            }

            if (i == 40)
            {
                encoder.SetBitrate(400);
            }
        }

        output.WriteLine($"{codec}: 90 frames in {clock.ElapsedMilliseconds} ms");
        Assert.Equal([0, 70], keys);
        Assert.Equal(400, encoder.BitrateKbps);
    }

    [Fact]
    public void VP8_output_decodes_to_the_input_picture()
    {
        const int w = 320, h = 240;
        using var encoder = new VideoEncoderSettings("VP8", w, h, 30, 2000).Open();
        using var decoder = new Vp8Decoder();
        var source = Frame(w, h, 0);
        I420Picture? picture = null;
        for (var i = 0; i < 5; i++)
        {
            picture = decoder.Decode(encoder.Encode(source, i, i == 0).Data);
        }

        Assert.NotNull(picture);
        var error = 0.0;
        for (var i = 0; i < w * h; i++)
        {
            error += Math.Abs(picture.Y[i] - source[i]);
        }

        Assert.True(error / (w * h) < 4, $"mean luma error {error / (w * h):F2}");
    }
}
