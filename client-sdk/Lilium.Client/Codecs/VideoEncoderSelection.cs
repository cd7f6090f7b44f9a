using System.Runtime.InteropServices;

namespace Lilium.Client.Codecs;

/// <summary>The encoder <see cref="VideoEncoders.Open"/> chose, and why the ones before it were passed over.</summary>
/// <param name="Encoder">The open encoder (the caller disposes it).</param>
/// <param name="Name">Its <c>--encoder</c> name: <c>nvenc</c>, <c>vaapi</c>, <c>qsv</c>, <c>x264</c> or <c>vp8</c>.</param>
/// <param name="Unavailable">One <c>name: reason</c> per hardware encoder tried that could not run, in the order tried.</param>
/// <param name="Notice">The one line to show when something asked for was not used; null when the choice is what was asked.</param>
public sealed record EncoderChoice(IVideoEncoder Encoder, string Name, IReadOnlyList<string> Unavailable, string? Notice);

/// <summary>
/// <c>lilium host --encoder</c>: <c>auto</c> tries the hardware H.264 encoders (NVENC, VAAPI, QSV, through libavcodec)
/// in that order and falls back to x264; <c>nvenc</c>, <c>vaapi</c> or <c>qsv</c> tries that one, then x264;
/// <c>x264</c> and <c>vp8</c> are the software encoders (libx264, libvpx). Each failure is one <c>name: reason</c>.
/// </summary>
public static class VideoEncoders
{
    /// <summary>The values <c>--encoder</c> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["auto", "x264", "nvenc", "vaapi", "qsv", "vp8"];

    /// <summary>The hardware encoders in the order <c>auto</c> tries them.</summary>
    public static IReadOnlyList<string> HardwareOrder { get; } = ["nvenc", "vaapi", "qsv"];

    /// <summary>
    /// The SDP codec (<c>VP8</c> or <c>H264</c>) that <paramref name="encoder"/> sends when <c>--codec</c> is
    /// <paramref name="codec"/>: <c>auto</c> keeps the codec, <c>vp8</c> is VP8, the rest are H.264 (and refuse
    /// <c>--codec vp8</c>). Throws <see cref="LiliumException"/> with a sentence for an unknown or contradictory choice.
    /// </summary>
    public static string CodecFor(string encoder, string codec)
    {
        var c = codec.ToUpperInvariant();
        if (c is not ("VP8" or "H264"))
        {
            throw new LiliumException($"--codec '{codec}': vp8 or h264.");
        }

        return encoder.ToLowerInvariant() switch
        {
            "auto" => c,
            "vp8" => "VP8",
            "x264" or "nvenc" or "vaapi" or "qsv" when c == "VP8" => throw new LiliumException($"--encoder {encoder.ToLowerInvariant()} makes H.264, but --codec vp8 asks for VP8."),
            "x264" or "nvenc" or "vaapi" or "qsv" => "H264",
            _ => throw new LiliumException($"--encoder '{encoder}': auto, x264, nvenc, vaapi, qsv or vp8."),
        };
    }

    /// <summary>Opens what <paramref name="encoder"/> asks for on this machine (see the class summary).</summary>
    public static EncoderChoice Open(string encoder, VideoEncoderSettings settings) =>
        Select(encoder, settings, OpenHardware, s => s.Open());

    /// <summary>The choice itself, with the two ways to open an encoder given (unit-tested with stand-ins).</summary>
    internal static EncoderChoice Select(
        string encoder,
        VideoEncoderSettings settings,
        Func<string, VideoEncoderSettings, IVideoEncoder> openHardware,
        Func<VideoEncoderSettings, IVideoEncoder> openSoftware)
    {
        var requested = encoder.ToLowerInvariant();
        var codec = CodecFor(requested, settings.Codec);
        if (codec == "VP8")
        {
            return new EncoderChoice(openSoftware(settings with { Codec = "VP8" }), "vp8", [], null);
        }

        var candidates = requested == "auto" ? HardwareOrder : HardwareOrder.Contains(requested) ? [requested] : [];
        var failures = new List<string>();
        foreach (var name in candidates)
        {
            try
            {
                var opened = openHardware(name, settings with { Codec = "H264" });
                var notice = failures.Count == 0 ? null : $"using {name} ({string.Join("; ", failures)})";
                return new EncoderChoice(opened, name, failures, notice);
            }
            catch (EncoderUnavailableException ex)
            {
                failures.Add($"{name}: {ex.Reason}");
            }
        }

        var fallback = openSoftware(settings with { Codec = "H264" });
        var line = failures.Count == 0 ? null
            : requested == "auto" ? $"no hardware H.264 encoder ({string.Join("; ", failures)}): using x264"
            : $"{failures[0]}: using x264 instead";
        return new EncoderChoice(fallback, "x264", failures, line);
    }

    /// <summary>Opens one hardware encoder through libavcodec, after the checks that give the usual reasons in plain words.</summary>
    internal static IVideoEncoder OpenHardware(string name, VideoEncoderSettings settings)
    {
        var backend = name switch
        {
            "nvenc" => LibavH264Backend.Nvenc,
            "vaapi" => LibavH264Backend.Vaapi,
            "qsv" => LibavH264Backend.Qsv,
            _ => throw new ArgumentException($"'{name}' is not a hardware encoder.", nameof(name)),
        };
        if (!OperatingSystem.IsLinux())
        {
            throw new EncoderUnavailableException("the libavcodec binding is Linux-only for now");
        }

        if (Precheck(name, File.Exists, LibraryLoads) is { } reason)
        {
            throw new EncoderUnavailableException(reason);
        }

        return new LibavH264Encoder(backend, settings);
    }

    /// <summary>
    /// What is missing for <paramref name="name"/> before libavcodec is even asked (null: nothing seen missing):
    /// NVENC needs the NVIDIA driver's <c>libcuda.so.1</c> and <c>libnvidia-encode.so.1</c>; VAAPI and QSV need the
    /// render node (QSV runs through the Intel GPU's one on Linux).
    /// </summary>
    internal static string? Precheck(string name, Func<string, bool> fileExists, Func<string, bool> libraryLoads) => name switch
    {
        "nvenc" when !libraryLoads("libcuda.so.1") => "no NVIDIA driver (libcuda.so.1 not found)",
        "nvenc" when !libraryLoads("libnvidia-encode.so.1") => "the NVIDIA driver has no NVENC library (libnvidia-encode.so.1 not found)",
        "vaapi" when !fileExists(LibavH264Backend.RenderNode) => $"no {LibavH264Backend.RenderNode}",
        "qsv" when !fileExists(LibavH264Backend.RenderNode) => $"no {LibavH264Backend.RenderNode} (Quick Sync runs on the Intel GPU's render node)",
        _ => null,
    };

    private static bool LibraryLoads(string soname)
    {
        if (!NativeLibrary.TryLoad(soname, out var handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }
}
