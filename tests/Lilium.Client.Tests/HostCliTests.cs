using System.Text.RegularExpressions;
using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// <c>lilium host --screen</c> as a process against the whole local stack, with its default codec (H.264): it captures an Xvfb
/// screen, admits a friend by <c>--auto-accept friends</c> without a terminal, and the friend's
/// <c>lilium view --input</c> receives frames and moves the host's pointer.
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

    [GeneratedRegex(@"session\s+([0-9a-f-]{36})\s+through")]
    private static partial Regex SessionLine();

    private static async Task<string> Xdotool(string display, string command)
    {
        var result = await ProcessRunner.RunAsync("xdotool", [command], TimeSpan.FromSeconds(10), environment: new Dictionary<string, string?> { ["DISPLAY"] = display });
        return result.StdOut.Trim();
    }

    public void Dispose() => _cli.Dispose();
}
