using System.Diagnostics;

namespace Lilium.Testing;

/// <summary>
/// An Xvfb server on a free display number (no TCP), for tests that capture or drive a real X screen; killed on
/// dispose. Display numbers are probed from a random start so parallel test assemblies do not collide.
/// </summary>
public sealed class XvfbServer : IDisposable
{
    private readonly Process _process;

    private XvfbServer(Process process, string display)
    {
        _process = process;
        Display = display;
    }

    /// <summary>The display name (<c>:N</c>).</summary>
    public string Display { get; }

    /// <summary>Starts Xvfb with one screen of <paramref name="width"/>×<paramref name="height"/>×24 and waits for its socket.</summary>
    public static async Task<XvfbServer> StartAsync(int width = 1280, int height = 720)
    {
        for (var n = 90 + Random.Shared.Next(0, 400); ; n++)
        {
            if (File.Exists($"/tmp/.X{n}-lock") || File.Exists($"/tmp/.X11-unix/X{n}"))
            {
                continue;
            }

            var start = new ProcessStartInfo("Xvfb") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in new[] { $":{n}", "-screen", "0", $"{width}x{height}x24", "-nolisten", "tcp", "-noreset", "-br" })
            {
                start.ArgumentList.Add(a);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("could not start Xvfb (make deps installs it)");
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline && !process.HasExited && !File.Exists($"/tmp/.X11-unix/X{n}"))
            {
                await Task.Delay(50);
            }

            if (process.HasExited)
            {
                process.Dispose();
                continue; // lost a race for that number
            }

            return new XvfbServer(process, $":{n}");
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
