using System.Diagnostics;

namespace Lilium.Testing;

/// <summary>
/// An Xvfb server on a free display number (no TCP), for tests that capture or drive a real X screen; killed on
/// dispose. The server picks the number itself (<c>-displayfd</c>) and takes it under its own lock file, so parallel
/// test classes and assemblies cannot end up on one display (probing for a free number from outside could: two
/// servers started for the same number, the loser exited, and its owner went on with the winner's screen).
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

    /// <summary>Starts Xvfb with one screen of <paramref name="width"/>×<paramref name="height"/>×24 and waits until it listens.</summary>
    public static async Task<XvfbServer> StartAsync(int width = 1280, int height = 720)
    {
        var start = new ProcessStartInfo("Xvfb") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-displayfd", "1", "-screen", "0", $"{width}x{height}x24", "-nolisten", "tcp", "-noreset", "-br" })
        {
            start.ArgumentList.Add(a);
        }

        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start Xvfb (make deps installs it)");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line && errors.Count < 20)
            {
                errors.Enqueue(line);
            }
        };
        process.BeginErrorReadLine();

        // The server writes its display number once it is ready for clients.
        string? number;
        try
        {
            number = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (TimeoutException)
        {
            number = null;
        }

        if (!int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            KillQuietly(process);
            process.Dispose();
            throw new InvalidOperationException("Xvfb did not report a display within 10 s: " + string.Join(" | ", errors));
        }

        return new XvfbServer(process, $":{n}");
    }

    public void Dispose()
    {
        KillQuietly(_process);
        _process.Dispose();
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}
