using System.Buffers.Binary;
using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lilium.Client.Media;

/// <summary>One encoded video frame from a source.</summary>
/// <param name="Data">The VP8 frame.</param>
/// <param name="RtpTimestamp">Its 90 kHz timestamp.</param>
/// <param name="IsKeyframe">True for a keyframe.</param>
public sealed record EncodedFrame(byte[] Data, uint RtpTimestamp, bool IsKeyframe);

/// <summary>
/// VP8 frames from ffmpeg in real time: a moving test pattern (<see cref="TestPattern"/>, lavfi
/// <c>testsrc2</c>) or the X11 screen (<see cref="Screen"/>, <c>x11grab</c>), encoded with libvpx
/// for low latency (realtime deadline, no lookahead, a keyframe every second) and read as IVF from
/// ffmpeg's stdout. Needs <c>ffmpeg</c> on the PATH (<see cref="IsAvailable"/>).
/// </summary>
public sealed class FfmpegVp8Source : IAsyncDisposable
{
    private readonly Process _process;
    private readonly int _fps;

    private FfmpegVp8Source(Process process, int fps)
    {
        _process = process;
        _fps = fps;
    }

    /// <summary>True when an <c>ffmpeg</c> executable is on the PATH.</summary>
    public static bool IsAvailable => FindFfmpeg() is not null;

    /// <summary>A moving test pattern with a clock, <paramref name="width"/>×<paramref name="height"/> at <paramref name="fps"/>.</summary>
    public static FfmpegVp8Source TestPattern(int width = 640, int height = 360, int fps = 30) =>
        Start(["-re", "-f", "lavfi", "-i", $"testsrc2=size={width}x{height}:rate={fps}"], fps);

    /// <summary>The X11 display (e.g. <c>:0.0</c>) at <paramref name="fps"/>.</summary>
    public static FfmpegVp8Source Screen(string display, int fps = 30) =>
        Start(["-f", "x11grab", "-framerate", fps.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", display], fps);

    private static FfmpegVp8Source Start(IEnumerable<string> input, int fps)
    {
        var ffmpeg = FindFfmpeg() ?? throw new LiliumException("ffmpeg is not installed (apt install ffmpeg); the SDK's video sources need it.");
        var start = new ProcessStartInfo(ffmpeg) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-hide_banner", "-loglevel", "error", "-nostdin" }.Concat(input).Concat(
            ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1M", "-g", fps.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "-auto-alt-ref", "0", "-lag-in-frames", "0", "-error-resilient", "1", "-f", "ivf", "pipe:1"]))
        {
            start.ArgumentList.Add(a);
        }

        try
        {
            var process = Process.Start(start) ?? throw new LiliumException("ffmpeg did not start.");
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            return new FfmpegVp8Source(process, fps);
        }
        catch (Win32Exception ex)
        {
            throw new LiliumException("ffmpeg could not be started: " + ex.Message, ex);
        }
    }

    /// <summary>Frames as ffmpeg produces them (about <c>fps</c> per second), until disposed or ffmpeg exits.</summary>
    public async IAsyncEnumerable<EncodedFrame> ReadFramesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var stream = _process.StandardOutput.BaseStream;
        var header = new byte[32];
        if (!await ReadExactlyAsync(stream, header, cancellationToken) || !header.AsSpan(0, 4).SequenceEqual("DKIF"u8))
        {
            yield break;
        }

        // IVF: time base = denominator / numerator ticks per second (RFC 6386 tools' container).
        var rate = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(16));
        var scale = BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20));
        var frameHeader = new byte[12];
        while (await ReadExactlyAsync(stream, frameHeader, cancellationToken))
        {
            var size = BinaryPrimitives.ReadInt32LittleEndian(frameHeader);
            var pts = BinaryPrimitives.ReadInt64LittleEndian(frameHeader.AsSpan(4));
            if (size is <= 0 or > 4 * 1024 * 1024)
            {
                yield break;
            }

            var data = new byte[size];
            if (!await ReadExactlyAsync(stream, data, cancellationToken))
            {
                yield break;
            }

            var seconds = rate == 0 ? pts / (double)_fps : pts * (double)scale / rate;
            yield return new EncodedFrame(data, (uint)(long)(seconds * 90_000), Vp8Packetizer.IsKeyframe(data));
        }
    }

    private static async Task<bool> ReadExactlyAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    private static string? FindFfmpeg() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "ffmpeg"))
            .FirstOrDefault(File.Exists);

    /// <summary>Stops ffmpeg.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
