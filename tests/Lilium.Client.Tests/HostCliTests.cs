using System.Text.RegularExpressions;
using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// <c>lilium host --screen</c> as a process against the whole local stack, with its default codec (H.264): it captures an Xvfb
/// screen, admits a friend by <c>--auto-accept friends</c> without a terminal, and the friend's
/// <c>lilium view --input</c> receives frames and moves the host's pointer; a viewer the host kicks through the
/// console stops watching at once and is not let back in, and the host's end stops the other viewer.
/// </summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Desktop")]
public sealed partial class HostCliTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LocalStack>, IDisposable
{
    private readonly LiliumCli _cli = new(stack.ApiUrl, stack.WebSocketUrl, stack.RelayUrl, output.WriteLine);

    [Fact]
    public async Task A_friend_is_admitted_without_a_prompt_watches_the_screen_and_moves_the_pointer()
    {
        using var xvfb = await XvfbServer.StartAsync();
        var display = xvfb.Display;
        var suffix = Random.Shared.Next(1000, 9999);
        var (ann, ben) = ($"hann{suffix}", $"hben{suffix}");
        await _cli.RegisterAsync("ann", ann);
        await _cli.RegisterAsync("ben", ben);
        await _cli.RunAsync("ann", "friends", "add", ben);
        await _cli.RunAsync("ben", "friends", "accept", ann);
        var pointerBefore = await Xdotool(display, "getmouselocation");

        var host = _cli.Start("ann", "host", "--screen", display, "--preset", "720p", "--auto-accept", "friends", "--grant", "mouse", "--seconds", "60");
        var session = Guid.Parse((await host.WaitForAsync(SessionLine(), TimeSpan.FromSeconds(90))).Groups[1].Value);

        var view = await _cli.RunAsync("ben", "view", session.ToString(), "--frames", "30", "--input");
        Assert.Contains("admitted", view.StdOut);
        Assert.Contains("30 frames", view.StdOut);
        var pointerAfter = await Xdotool(display, "getmouselocation");
        Assert.NotEqual(pointerBefore, pointerAfter); // the viewer's absolute moves reached XTest

        host.Process.Kill(entireProcessTree: false);
        await host.Process.WaitForExitAsync();
        output.WriteLine(host.Output);
        Assert.Matches($@"admitted\s+{ben}\s+with\s+input:\s+mouse", host.Output);
        Assert.Contains("720", host.Output);
    }

    [Fact]
    public async Task A_viewer_the_host_kicks_from_the_console_stops_watching_and_the_end_stops_the_others()
    {
        using var xvfb = await XvfbServer.StartAsync();
        var suffix = Random.Shared.Next(1000, 9999);
        var (cy, dan, eli) = ($"hcy{suffix}", $"hdan{suffix}", $"heli{suffix}");
        foreach (var (profile, nick) in new[] { ("cy", cy), ("dan", dan), ("eli", eli) })
        {
            await _cli.RegisterAsync(profile, nick);
        }

        foreach (var (profile, nick) in new[] { ("dan", dan), ("eli", eli) })
        {
            await _cli.RunAsync("cy", "friends", "add", nick);
            await _cli.RunAsync(profile, "friends", "accept", cy);
        }

        // No terminal: friends are admitted by the flag, and the console's commands come through the pipe.
        var host = _cli.Start("cy", "host", "--screen", xvfb.Display, "--preset", "720p", "--auto-accept", "friends", "--grant", "mouse", "--seconds", "120");
        var session = Guid.Parse((await host.WaitForAsync(SessionLine(), TimeSpan.FromSeconds(90))).Groups[1].Value);
        var danView = _cli.Start("dan", "view", session.ToString(), "--frames", "100000");
        var eliView = _cli.Start("eli", "view", session.ToString(), "--frames", "100000");
        await danView.WaitForAsync(FramesLine(), TimeSpan.FromSeconds(60));
        await eliView.WaitForAsync(FramesLine(), TimeSpan.FromSeconds(60));

        await CommandAsync(host, $"k {dan}");
        await host.WaitForAsync(new Regex($@"kicked\s+{dan}:\s+removed from the session"), TimeSpan.FromSeconds(10));
        await ExitAsync(danView, TimeSpan.FromSeconds(10)); // signaling's session.kicked ends the view; no media timeout
        Assert.Equal(1, danView.Process.ExitCode);
        Assert.Contains("The host removed you from the session.", danView.Output);
        await host.WaitForAsync(new Regex(@"viewer\s+[0-9a-f-]{36}\s+left"), TimeSpan.FromSeconds(10)); // the relay dropped the peer

        var again = await _cli.TryRunAsync("dan", ["view", session.ToString(), "--frames", "1"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("not admitted", again.StdOut + again.StdErr);
        Assert.False(eliView.Process.HasExited, eliView.Output); // the other viewer watches on

        await CommandAsync(host, "q");
        await ExitAsync(host, TimeSpan.FromSeconds(20));
        Assert.Equal(0, host.Process.ExitCode);
        Assert.Contains("session ended", host.Output);
        await ExitAsync(eliView, TimeSpan.FromSeconds(10));
        Assert.Equal(1, eliView.Process.ExitCode);
        Assert.Contains("The host ended the session.", eliView.Output);
    }

    private static async Task CommandAsync(RunningCommand host, string line)
    {
        await host.Process.StandardInput.WriteLineAsync(line);
        await host.Process.StandardInput.FlushAsync();
    }

    private async Task ExitAsync(RunningCommand command, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await command.Process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            output.WriteLine(command.Output);
        }
    }

    [GeneratedRegex(@"\d+ frames \(")]
    private static partial Regex FramesLine();

    [GeneratedRegex(@"session\s+([0-9a-f-]{36})\s+through")]
    private static partial Regex SessionLine();

    private static async Task<string> Xdotool(string display, string command)
    {
        var result = await ProcessRunner.RunAsync("xdotool", [command], TimeSpan.FromSeconds(10), environment: new Dictionary<string, string?> { ["DISPLAY"] = display });
        return result.StdOut.Trim();
    }

    public void Dispose() => _cli.Dispose();
}
