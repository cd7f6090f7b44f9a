using System.Diagnostics;

namespace Lilium.Host.Tests;

/// <summary>
/// A private PulseAudio daemon (its own HOME, runtime directory and socket, anonymous auth) with a
/// null sink <c>lilium_test</c>, whose monitor is what the host captures.
/// </summary>
public sealed class PulseAudioFixture : IAsyncLifetime
{
    public const string Sink = "lilium_test";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "lilium-pulse-" + Guid.NewGuid().ToString("N")[..8]);

    public string Server => $"unix:{Path.Combine(_dir, "native")}";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "home"));
        Directory.CreateDirectory(Path.Combine(_dir, "run"));
        using var daemon = Start("pulseaudio", "-D", "-n", "--exit-idle-time=-1", "--system=false", "--disallow-exit=false",
            $"--load=module-native-protocol-unix socket={Path.Combine(_dir, "native")} auth-anonymous=1",
            $"--load=module-null-sink sink_name={Sink} rate=48000");
        await daemon.WaitForExitAsync();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(Path.Combine(_dir, "native")) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.True(File.Exists(Path.Combine(_dir, "native")), "pulseaudio did not start: " + await daemon.StandardError.ReadToEndAsync());
    }

    /// <summary>Starts a PulseAudio client program against this daemon.</summary>
    public Process Start(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["HOME"] = Path.Combine(_dir, "home");
        start.Environment["XDG_RUNTIME_DIR"] = Path.Combine(_dir, "run");
        start.Environment["PULSE_SERVER"] = Server;
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    public async Task DisposeAsync()
    {
        using var kill = Start("pulseaudio", "--kill");
        await kill.WaitForExitAsync();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
