using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lilium.Bench;
using Lilium.Client.Codecs;

namespace Lilium.Bench.Host;

/// <summary>
/// <c>--scalers</c>: what turning a captured 1920×1080 BGRA frame into 1280×720 I420 costs, our
/// <see cref="I420Converter"/> + <see cref="I420Scaler"/> against libswscale (Debian's ffmpeg 5.1,
/// one thread) with its fast-bilinear, bilinear and area filters. Rounds interleave the candidates so
/// a busy machine slows them alike; the median and the best of the rounds are reported (on a loaded machine the best is the cost, the median adds waiting for a core). Bounded: 15 + 60 rounds.
/// </summary>
internal static unsafe partial class ScalerBench
{
    private const int W = 1920, H = 1080, w = 1280, h = 720;
    private const int SwsFastBilinear = 1, SwsBilinear = 2, SwsArea = 0x20;

    public static int Run(string output)
    {
        var bgra = (byte*)NativeMemory.AlignedAlloc(W * H * 4, 64);
        var rng = new Random(1);
        for (var i = 0; i < W * H * 4; i += 64)
        {
            var v = (byte)rng.Next(256); // screen-like: runs of equal pixels
            new Span<byte>(bgra + i, 64).Fill(v);
        }

        var full = new byte[I420Converter.BufferSize(W, H)];
        var small = new byte[I420Converter.BufferSize(w, h)];
        var scaler = new I420Scaler(W, H, w, h);
        var dst = (byte*)NativeMemory.AlignedAlloc((nuint)I420Converter.BufferSize(w, h) + 64, 64);
        var bgraFormat = av_get_pix_fmt("bgra");
        var yuvFormat = av_get_pix_fmt("yuv420p");
        var candidates = new List<(string Name, Action Run)>
        {
            ("convert_1080p_only", () => I420Converter.Convert((nint)bgra, W * 4, W, H, full)),
            ("area_scale_only", () => scaler.Scale(full, small)),
            ("lilium_convert_then_area_scale", () =>
            {
                I420Converter.Convert((nint)bgra, W * 4, W, H, full);
                scaler.Scale(full, small);
            }),
        };
        var contexts = new List<nint>();
        foreach (var (name, flags) in new[] { ("swscale_fast_bilinear", SwsFastBilinear), ("swscale_bilinear", SwsBilinear), ("swscale_area", SwsArea) })
        {
            var context = sws_getContext(W, H, bgraFormat, w, h, yuvFormat, flags, 0, 0, 0);
            if (context == 0)
            {
                throw new InvalidOperationException("sws_getContext failed");
            }

            contexts.Add(context);
            candidates.Add((name, () => SwsScale(context, bgra, dst)));
        }

        var samples = candidates.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < 75; round++)
        {
            for (var c = 0; c < candidates.Count; c++)
            {
                var start = Stopwatch.GetTimestamp();
                candidates[c].Run();
                if (round >= 15)
                {
                    samples[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        }

        var result = new JsonObject();
        for (var c = 0; c < candidates.Count; c++)
        {
            var sorted = samples[c].Order().ToArray();
            var p50 = Percentiles.NearestRank(sorted, 0.50);
            result[candidates[c].Name + "_ms_p50"] = Math.Round(p50, 2);
            result[candidates[c].Name + "_ms_min"] = Math.Round(sorted[0], 2);
            Console.Error.WriteLine($"{candidates[c].Name,-32} p50 {p50:F2} ms, min {sorted[0]:F2} ms");
        }

        result["frame"] = $"{W}x{H} BGRA to {w}x{h} I420, median of 60 interleaved rounds, one thread";
        result["machine"] = $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var context in contexts)
        {
            sws_freeContext(context);
        }

        NativeMemory.AlignedFree(bgra);
        NativeMemory.AlignedFree(dst);
        return 0;
    }

    private static void SwsScale(nint context, byte* bgra, byte* dst)
    {
        var srcPlanes = stackalloc byte*[4] { bgra, null, null, null };
        var srcStrides = stackalloc int[4] { W * 4, 0, 0, 0 };
        var dstPlanes = stackalloc byte*[4] { dst, dst + (w * h), dst + (w * h) + (w * h / 4), null };
        var dstStrides = stackalloc int[4] { w, w / 2, w / 2, 0 };
        if (sws_scale(context, srcPlanes, srcStrides, 0, H, dstPlanes, dstStrides) != h)
        {
            throw new InvalidOperationException("sws_scale did not write the whole frame");
        }
    }

    [LibraryImport("libavutil.so.57", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int av_get_pix_fmt(string name);

    [LibraryImport("libswscale.so.6")]
    private static partial nint sws_getContext(int srcW, int srcH, int srcFormat, int dstW, int dstH, int dstFormat, int flags, nint srcFilter, nint dstFilter, nint param);

    [LibraryImport("libswscale.so.6")]
    private static partial int sws_scale(nint context, byte** srcSlice, int* srcStride, int srcSliceY, int srcSliceH, byte** dst, int* dstStride);

    [LibraryImport("libswscale.so.6")]
    private static partial void sws_freeContext(nint context);
}
