using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// <c>lilium host --screen</c> as a process against the whole local stack: it captures an Xvfb
/// screen, admits a friend by <c>--auto-accept friends</c> without a terminal, and the friend's
/// <c>lilium view --input</c> receives frames and moves the host's pointer.
/// </summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Desktop")]
public sealed partial class HostCliTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LocalStack>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lilium-host-cli-").FullName;
    private readonly List<Process> _processes = [];

    [Fact]
    public async Task A_friend_is_admitted_without_a_prompt_watches_the_screen_and_moves_the_pointer()
    {
        var display = await StartXvfbAsync();
        var suffix = Random.Shared.Next(1000, 9999);
        var (ann, ben) = ($"hann{suffix}", $"hben{suffix}");
        foreach (var (profile, nick) in new[] { ("ann", ann), ("ben", ben) })
        {
            await Lilium(profile, "id", "new");
            await Lilium(profile, "register", nick);
        }

        await Lilium("ann", "friends", "add", ben);
        await Lilium("ben", "friends", "accept", ann);
        var pointerBefore = await Xdotool(display, "getmouselocation");

        var hostOut = new StringBuilder();
        var sessionSeen = new TaskCompletionSource<Guid>(TaskCreationOptions.RunContinuationsAsynchronously);
        var host = Start("ann", ["host", "--screen", display, "--codec", "vp8", "--preset", "720p", "--auto-accept", "friends", "--grant", "mouse", "--seconds", "60"], line =>
        {
            string text;
            lock (hostOut)
            {
                hostOut.AppendLine(Ansi().Replace(line, ""));
                text = hostOut.ToString();
            }

            if (SessionLine().Match(text) is { Success: true } m)
            {
                sessionSeen.TrySetResult(Guid.Parse(m.Groups[1].Value));
            }
        });
        var session = await Task.WhenAny(sessionSeen.Task, Task.Delay(TimeSpan.FromSeconds(90))) == sessionSeen.Task
            ? await sessionSeen.Task
            : throw new Xunit.Sdk.XunitException("the host printed no session line:\n" + hostOut);

        var view = await Lilium("ben", "view", session.ToString(), "--frames", "30", "--input");
        Assert.Contains("admitted", view.StdOut);
        Assert.Contains("30 frames", view.StdOut);
        var pointerAfter = await Xdotool(display, "getmouselocation");
        Assert.NotEqual(pointerBefore, pointerAfter); // the viewer's absolute moves reached XTest

        host.Kill(entireProcessTree: false);
        await host.WaitForExitAsync();
        lock (hostOut)
        {
            output.WriteLine(hostOut.ToString());
            Assert.Matches($@"admitted\s+{ben}\s+with\s+input:\s+mouse", hostOut.ToString());
            Assert.Contains("720", hostOut.ToString());
        }
    }

    [GeneratedRegex(@"\x1b\[[0-9;]*m")]
    private static partial Regex Ansi();

    [GeneratedRegex(@"session\s+([0-9a-f-]{36})\s+through")]
    private static partial Regex SessionLine();

    private async Task<string> StartXvfbAsync()
    {
        for (var n = 500 + Random.Shared.Next(0, 200); ; n++)
        {
            if (File.Exists($"/tmp/.X{n}-lock"))
            {
                continue;
            }

            var p = Process.Start(new ProcessStartInfo("Xvfb", [$":{n}", "-screen", "0", "1280x720x24", "-nolisten", "tcp", "-br"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            _processes.Add(p);
            for (var i = 0; i < 100 && !p.HasExited && !File.Exists($"/tmp/.X11-unix/X{n}"); i++)
            {
                await Task.Delay(50);
            }

            if (!p.HasExited)
            {
                await Task.Delay(200);
                return $":{n}";
            }
        }
    }

    private static async Task<string> Xdotool(string display, string command)
    {
        var result = await ProcessRunner.RunAsync("xdotool", [command], TimeSpan.FromSeconds(10), environment: new Dictionary<string, string?> { ["DISPLAY"] = display });
        return result.StdOut.Trim();
    }

    private Process Start(string profile, string[] args, Action<string> onLine)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[] { Cli() }.Concat(args).Concat(["--home", Path.Combine(_root, profile)]))
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in Environment())
        {
            start.Environment[k] = v;
        }

        var p = Process.Start(start)!;
        _processes.Add(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { onLine(e.Data); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { onLine(e.Data); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private Dictionary<string, string?> Environment() => new()
    {
        ["LILIUM_API_URL"] = stack.ApiUrl.ToString(),
        ["LILIUM_WS_URL"] = stack.WebSocketUrl.ToString(),
        ["LILIUM_RELAY_URL"] = stack.RelayUrl?.ToString(),
        ["NO_COLOR"] = "1",
        ["COLUMNS"] = "400",
    };

    private async Task<ProcessResult> Lilium(string profile, params string[] args)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [Cli(), .. args, "--home", Path.Combine(_root, profile)], TimeSpan.FromSeconds(90), environment: Environment());
        output.WriteLine($"$ lilium {string.Join(' ', args)}  [{profile}]\n{result.StdOut}{result.StdErr}");
        Assert.True(result.ExitCode == 0, $"lilium {string.Join(' ', args)} exited {result.ExitCode}: {result.StdOut}{result.StdErr}");
        return result;
    }

    private static string Cli()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(RepoPaths.Root, "client-sdk", "Lilium.Cli", "bin", configuration, "net10.0", "lilium.dll");
    }

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
            }

            p.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }
}
