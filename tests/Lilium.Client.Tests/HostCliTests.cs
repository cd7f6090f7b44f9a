using System.Text.RegularExpressions;
using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// <c>lilium host --screen</c> as a process against the whole local stack, with its default codec (H.264): it captures an Xvfb
/// screen, admits a friend by <c>--auto-accept friends</c> without a terminal, and the friend's
/// <c>lilium view --input</c> receives frames and moves the host's pointer; a viewer the host kicks through the
/// console stops watching at once and is not let back in.
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
    public async Task A_viewer_the_host_kicks_from_the_console_stops_watching_and_is_not_let_back_in()
    {
        using var xvfb = await XvfbServer.StartAsync();
        var suffix = Random.Shared.Next(1000, 9999);
        var (cy, dan) = ($"hcy{suffix}", $"hdan{suffix}");
        await _cli.RegisterAsync("cy", cy);
        await _cli.RegisterAsync("dan", dan);
        await _cli.RunAsync("cy", "friends", "add", dan);
        await _cli.RunAsync("dan", "friends", "accept", cy);

        // No terminal: friends are admitted by the flag, and the console's commands come through the pipe.
        var host = _cli.Start("cy", "host", "--screen", xvfb.Display, "--preset", "720p", "--auto-accept", "friends", "--grant", "mouse", "--seconds", "90");
        var session = Guid.Parse((await host.WaitForAsync(SessionLine(), TimeSpan.FromSeconds(90))).Groups[1].Value);
        var view = _cli.Start("dan", "view", session.ToString(), "--frames", "100000");
        await view.WaitForAsync(FramesLine(), TimeSpan.FromSeconds(60));

        await host.Process.StandardInput.WriteLineAsync($"k {dan}");
        await host.Process.StandardInput.FlushAsync();
        await host.WaitForAsync(new Regex($@"kicked\s+{dan}:\s+removed from the session"), TimeSpan.FromSeconds(10));
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await view.Process.WaitForExitAsync(exit.Token); // signaling's session.kicked ends the view; no media timeout
        }

        output.WriteLine(view.Output);
        Assert.Equal(2, view.Process.ExitCode);
        Assert.Contains("The host removed you from the session.", view.Output);
        await host.WaitForAsync(new Regex(@"viewer\s+[0-9a-f-]{36}\s+left"), TimeSpan.FromSeconds(10)); // the relay dropped the peer

        var again = await _cli.TryRunAsync("dan", ["view", session.ToString(), "--frames", "1"], TimeSpan.FromSeconds(60));
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("not admitted", again.StdOut + again.StdErr);
        output.WriteLine(host.Output);
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
