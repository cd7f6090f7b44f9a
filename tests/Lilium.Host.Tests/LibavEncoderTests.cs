using System.Diagnostics;
using System.Runtime.InteropServices;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Xunit.Abstractions;

namespace Lilium.Host.Tests;

/// <summary>
/// The libavcodec binding the hardware encoders use, run for real on a machine without a GPU: <c>--encoder auto</c>
/// says why each hardware encoder cannot run and falls back to x264, and the same binding code path, with
/// libavcodec's libx264 in the hardware encoder's place, encodes I420 frames (as I420 and as NV12, the VAAPI/QSV
/// input) that ffmpeg decodes back to the input, with IDRs exactly where asked and bitrate changes applied both
/// in place (NVENC's way) and by reopening (VAAPI's and QSV's way).
/// </summary>
[Trait("Category", "Desktop")]
public sealed class LibavEncoderTests(ITestOutputHelper output)
{
    private const int W = 320, H = 240;

    /// <summary>Luma ramps that move; U varies across, V down, so swapped or misplaced chroma shows.</summary>
    private static byte[] Frame(int shift)
    {
        var frame = new byte[I420Converter.BufferSize(W, H)];
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                frame[(y * W) + x] = (byte)(40 + (((x + shift) * 3 / 4) % 160) + (y / 24 * 4));
            }
        }

        var u = frame.AsSpan(W * H, W * H / 4);
        var v = frame.AsSpan((W * H) + (W * H / 4), W * H / 4);
        for (var y = 0; y < H / 2; y++)
        {
            for (var x = 0; x < W / 2; x++)
            {
                u[(y * W / 2) + x] = (byte)(64 + (x * 128 / (W / 2)));
                v[(y * W / 2) + x] = (byte)(192 - (y * 128 / (H / 2)));
            }
        }

        return frame;
    }

    [Fact]
    public void Auto_on_this_machine_says_why_each_hardware_encoder_cannot_run_and_uses_x264()
    {
        var renderNode = File.Exists("/dev/dri/renderD128");
        var cuda = NativeLibrary.TryLoad("libcuda.so.1", out var handle);
        if (cuda)
        {
            NativeLibrary.Free(handle);
        }

        using var choice = new Disposing(VideoEncoders.Open("auto", new VideoEncoderSettings("H264", W, H, 30, 1000)));
        output.WriteLine(choice.Choice.Notice ?? "(no notice)");
        if (renderNode || cuda)
        {
            // A machine with a GPU: whatever won must encode; the reasons are the ones libavcodec gave.
            Assert.Contains(choice.Choice.Name, new[] { "nvenc", "vaapi", "qsv", "x264" });
        }
        else
        {
            Assert.Equal("x264", choice.Choice.Name);
            Assert.Equal(
            [
                "nvenc: no NVIDIA driver (libcuda.so.1 not found)",
                "vaapi: no /dev/dri/renderD128",
                "qsv: no /dev/dri/renderD128 (Quick Sync runs on the Intel GPU's render node)",
            ], choice.Choice.Unavailable);
            Assert.Equal(
                "no hardware H.264 encoder (nvenc: no NVIDIA driver (libcuda.so.1 not found); vaapi: no /dev/dri/renderD128; " +
                "qsv: no /dev/dri/renderD128 (Quick Sync runs on the Intel GPU's render node)): using x264",
                choice.Choice.Notice);
        }

        var encoded = choice.Choice.Encoder.Encode(Frame(0), 0, keyframe: true);
        Assert.True(encoded.IsKeyframe);
        Assert.True(H264Packetizer.IsIdr(encoded.Data, []));
    }

    [Fact]
    public void The_libavcodec_encoders_this_build_has_are_found_and_reasons_are_sentences()
    {
        // Debian's FFmpeg 5.1 has all three hardware encoders compiled in: past the prechecks, opening is what fails.
        foreach (var name in new[] { "h264_nvenc", "h264_vaapi", "h264_qsv", "libx264" })
        {
            Assert.NotEqual(0, Libav.FindEncoder(name));
        }

        var missing = Assert.Throws<EncoderUnavailableException>(() =>
            new LibavH264Encoder(LibavH264Backend.Software() with { EncoderName = "h264_nonexistent" }, new VideoEncoderSettings("H264", W, H, 30, 1000)));
        Assert.Equal("this libavcodec has no h264_nonexistent", missing.Reason);

        var refused = Assert.Throws<EncoderUnavailableException>(() =>
            new LibavH264Encoder(LibavH264Backend.Software() with { PrivateOptions = [new("forced-idr", "maybe")] }, new VideoEncoderSettings("H264", W, H, 30, 1000)));
        Assert.StartsWith("libx264 refused forced-idr=maybe (", refused.Reason);

        // A string option is checked when the encoder opens.
        var closed = Assert.Throws<EncoderUnavailableException>(() =>
            new LibavH264Encoder(LibavH264Backend.Software() with { PrivateOptions = [new("preset", "warp-speed")] }, new VideoEncoderSettings("H264", W, H, 30, 1000)));
        Assert.Equal("libx264 did not open (Invalid argument)", closed.Reason);

        if (!File.Exists("/dev/dri/renderD128"))
        {
            // The VAAPI device path itself, past the precheck: libva finds no device to open.
            var vaapi = Assert.Throws<EncoderUnavailableException>(() => new LibavH264Encoder(LibavH264Backend.Vaapi, new VideoEncoderSettings("H264", W, H, 30, 1000)));
            output.WriteLine(vaapi.Reason);
            Assert.StartsWith("cannot open the vaapi device /dev/dri/renderD128 (", vaapi.Reason);
        }
    }

    [Theory]
    [InlineData("yuv420p")]
    [InlineData("nv12")]
    public async Task Frames_encoded_through_the_binding_decode_back_to_the_input(string inputFormat)
    {
        const int Count = 30;
        var forced = new[] { 0, 12, 25 };
        using var encoder = new LibavH264Encoder(LibavH264Backend.Software(inputFormat), new VideoEncoderSettings("H264", W, H, 30, 3000));
        var stream = new MemoryStream();
        var inputs = new List<byte[]>();
        var keys = new List<int>();
        for (var i = 0; i < Count; i++)
        {
            var frame = Frame(i * 5);
            inputs.Add(frame);
            var encoded = encoder.Encode(frame, i, keyframe: forced.Contains(i));
            Assert.False(encoded.Data.IsEmpty); // zero latency: every frame's packet comes out of its own call
            Assert.Equal(encoded.IsKeyframe, H264Packetizer.IsIdr(encoded.Data, []));
            Assert.True(encoded.Data[..4].SequenceEqual(new byte[] { 0, 0, 0, 1 }) || encoded.Data[..3].SequenceEqual(new byte[] { 0, 0, 1 }), "Annex B start code");
            if (encoded.IsKeyframe)
            {
                keys.Add(i);
                Assert.True(HasNal(encoded.Data, 7) && HasNal(encoded.Data, 8), "SPS and PPS before each IDR");
            }

            stream.Write(encoded.Data);
        }

        Assert.Equal(forced, keys);
        var decoded = await DecodeAsync(stream.ToArray());
        Assert.Equal(Count * I420Converter.BufferSize(W, H), decoded.Length);
        for (var i = 0; i < Count; i++)
        {
            var back = decoded.AsSpan(i * I420Converter.BufferSize(W, H), I420Converter.BufferSize(W, H));
            var (y, u, v) = (Psnr(inputs[i].AsSpan(0, W * H), back[..(W * H)]),
                Psnr(inputs[i].AsSpan(W * H, W * H / 4), back.Slice(W * H, W * H / 4)),
                Psnr(inputs[i].AsSpan(W * H * 5 / 4), back[(W * H * 5 / 4)..]));
            if (i % 10 == 0)
            {
                output.WriteLine($"{inputFormat} frame {i}: PSNR Y {y:F1} U {u:F1} V {v:F1} dB");
            }

            Assert.True(y > 32 && u > 32 && v > 32, $"frame {i}: PSNR Y {y:F1} U {u:F1} V {v:F1} dB");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_bitrate_change_applies_in_place_or_by_reopening(bool inPlace)
    {
        var backend = LibavH264Backend.Software() with { ReconfiguresBitrate = inPlace };
        using var encoder = new LibavH264Encoder(backend, new VideoEncoderSettings("H264", W, H, 30, 4000));
        var random = new Random(7);
        var noise = new byte[I420Converter.BufferSize(W, H)];
        var sizes = new List<int>();
        var keys = new List<int>();
        for (var i = 0; i < 80; i++)
        {
            random.NextBytes(noise); // incompressible: the size follows the rate control
            if (i == 40)
            {
                encoder.SetBitrate(500);
            }

            var encoded = encoder.Encode(noise, i, keyframe: i == 0);
            sizes.Add(encoded.Data.Length);
            if (encoded.IsKeyframe)
            {
                keys.Add(i);
            }
        }

        Assert.Equal(500, encoder.BitrateKbps);
        var before = sizes.Skip(20).Take(20).Average();
        var after = sizes.Skip(60).Take(20).Average();
        output.WriteLine($"in place {inPlace}: {before:F0} B/frame at 4000 kbit/s, {after:F0} B/frame at 500 kbit/s; IDRs {string.Join(",", keys)}");
        Assert.InRange(before, 4_000_000 / 8 / 30 * 0.5, 4_000_000 / 8 / 30 * 1.5);
        Assert.InRange(after, 500_000 / 8 / 30 * 0.3, 500_000 / 8 / 30 * 1.5);
        Assert.Equal(inPlace ? [0] : [0, 40], keys);
    }

    private static bool HasNal(ReadOnlySpan<byte> annexB, int type)
    {
        for (var i = 0; i + 3 < annexB.Length; i++)
        {
            if (annexB[i] == 0 && annexB[i + 1] == 0 && annexB[i + 2] == 1 && (annexB[i + 3] & 0x1F) == type)
            {
                return true;
            }
        }

        return false;
    }

    private static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
        }

        var mse = sum / a.Length;
        return mse == 0 ? 99 : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>ffmpeg's own H.264 decoder, in another process: Annex B in, raw I420 frames out.</summary>
    private static async Task<byte[]> DecodeAsync(byte[] annexB)
    {
        var info = new ProcessStartInfo("ffmpeg", "-hide_banner -v error -f h264 -i pipe:0 -f rawvideo -pix_fmt yuv420p pipe:1")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var ffmpeg = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var decoded = new MemoryStream();
        var reading = ffmpeg.StandardOutput.BaseStream.CopyToAsync(decoded, timeout.Token);
        var errors = ffmpeg.StandardError.ReadToEndAsync(timeout.Token);
        await ffmpeg.StandardInput.BaseStream.WriteAsync(annexB, timeout.Token);
        ffmpeg.StandardInput.Close();
        await reading;
        await ffmpeg.WaitForExitAsync(timeout.Token);
        Assert.True(ffmpeg.ExitCode == 0, await errors);
        return decoded.ToArray();
    }

    private sealed class Disposing(EncoderChoice choice) : IDisposable
    {
        public EncoderChoice Choice { get; } = choice;

        public void Dispose() => Choice.Encoder.Dispose();
    }
}
