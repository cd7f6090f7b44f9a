using System.ComponentModel;
using System.Diagnostics;
using Lilium.Client.Platform;

namespace Lilium.Client.Capture;

/// <summary>
/// What the host plays, as 48 kHz stereo 16-bit PCM in 20 ms frames (960 samples per channel,
/// 3,840 bytes), the unit Opus encodes.
/// </summary>
public interface IAudioSource : IAsyncDisposable
{
    /// <summary>Fills <paramref name="frame"/> (3,840 bytes) with the next 20 ms; false when the source ended.</summary>
    ValueTask<bool> ReadFrameAsync(Memory<byte> frame, CancellationToken cancellationToken);
}

/// <summary>Opens the audio capture back end for this OS (<see cref="HostPlatform.Audio"/>).</summary>
public static class AudioCapture
{
    /// <summary>Bytes in one 20 ms frame of 48 kHz stereo s16le.</summary>
    public const int FrameBytes = 960 * 2 * 2;

    /// <summary>
    /// Linux: a PulseAudio (or PipeWire-pulse) source through <c>parec</c>; <paramref name="device"/>
    /// null means the default sink's monitor, i.e. what the machine plays. <paramref name="server"/>
    /// overrides <c>PULSE_SERVER</c>. Windows: WASAPI loopback of the default playback device (built,
    /// untested; <paramref name="device"/> must be null). macOS: not implemented (ScreenCaptureKit audio, docs/host.md).
    /// </summary>
    public static IAudioSource Open(string? device = null, string? server = null) => HostPlatform.Audio(HostPlatform.Current) switch
    {
        AudioBackend.PulseAudio => PulseAudioSource.Start(device ?? "@DEFAULT_MONITOR@", server),
        AudioBackend.WasapiLoopback when OperatingSystem.IsWindows() => device is null
            ? WasapiAudioSource.Start()
            : throw new LiliumException("On Windows the host shares the default playback device only (--audio default)."),
        _ => throw new PlatformNotSupportedException(
            "System audio capture is implemented for Linux (PulseAudio/PipeWire) and Windows (WASAPI loopback); macOS needs ScreenCaptureKit audio, which is not done (docs/host.md)."),
    };
}

/// <summary>
/// A PulseAudio monitor source read through <c>parec</c> (pulseaudio-utils) as raw s16le at 48 kHz
/// stereo with a 20 ms latency target. A subprocess keeps libpulse's threading out of this process.
/// </summary>
internal sealed class PulseAudioSource : IAudioSource
{
    private readonly Process _process;

    private PulseAudioSource(Process process) => _process = process;

    public static PulseAudioSource Start(string device, string? server)
    {
        var start = new ProcessStartInfo("parec") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--raw", "--format=s16le", "--rate=48000", "--channels=2", "--latency-msec=20", "--device=" + device })
        {
            start.ArgumentList.Add(a);
        }

        if (server is not null)
        {
            start.Environment["PULSE_SERVER"] = server;
        }

        try
        {
            var process = Process.Start(start) ?? throw new LiliumException("parec did not start.");
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            return new PulseAudioSource(process);
        }
        catch (Win32Exception ex)
        {
            throw new LiliumException("parec is not installed (apt install pulseaudio-utils); audio cannot be captured.", ex);
        }
    }

    public async ValueTask<bool> ReadFrameAsync(Memory<byte> frame, CancellationToken cancellationToken)
    {
        try
        {
            await _process.StandardOutput.BaseStream.ReadExactlyAsync(frame[..AudioCapture.FrameBytes], cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
