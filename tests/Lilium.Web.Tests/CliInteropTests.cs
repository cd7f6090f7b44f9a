using System.Text.RegularExpressions;
using Lilium.Testing;
using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>
/// Cross-client, with the <c>lilium</c> command as a person runs it (a process, its own profile) and the web app in
/// Chromium: they befriend and chat both ways; a browser viewer watches a <c>lilium host</c> sharing an Xvfb screen
/// with its defaults (H.264), admitted by <c>--auto-accept friends</c>; <c>lilium view</c> watches a browser host that
/// approves it in the join dialog.
/// </summary>
[Collection(nameof(BrowserCollection))]
[Trait("Category", "Browser")]
public sealed partial class CliInteropTests(WebStack stack, Browser browser, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly LiliumCli _cli = new(stack.AppUrl, stack.WebSocketUrl, stack.RelayUrl, output.WriteLine);

    [Fact]
    public async Task Browser_and_cli_chat_both_ways_and_each_watches_the_other_host()
    {
        var suffix = Random.Shared.Next(1000, 9999);
        var (webNick, cliNick) = ($"wendy{suffix}", $"cleo{suffix}");
        var wendy = await WebUser.RegisterAsync(browser, stack, webNick);
        await _cli.RegisterAsync("cleo", cliNick);

        // The CLI asks; the browser accepts from its requests.
        Assert.Contains("pending", (await _cli.RunAsync("cleo", "friends", "add", webNick)).StdOut);
        await wendy.Page.GetByTestId("nav-friends").ClickAsync();
        await wendy.Page.GetByTestId($"accept-{cliNick}").ClickAsync(new() { Timeout = 15_000 });

        // Chat: the CLI listens while it sends; the browser reads and answers.
        var listening = _cli.TryRunAsync("cleo", ["chat", webNick, "--message", "hello from the terminal", "--wait", "20"], TimeSpan.FromSeconds(60));
        await wendy.OpenChatAsync(cliNick);
        await Assertions.Expect(wendy.Page.GetByTestId("msg-theirs").Last).ToContainTextAsync("hello from the terminal", new() { Timeout = 20_000 });
        await wendy.SendChatAsync("hello from the browser");
        var chat = await listening;
        Assert.Equal(0, chat.ExitCode);
        Assert.Contains("delivered to 1 device", chat.StdOut);
        Assert.Contains("hello from the browser", chat.StdOut);

        // A browser viewer watches `lilium host` sharing a real X screen (H.264 by default), admitted as a friend with mouse.
        using var xvfb = await XvfbServer.StartAsync();
        using var window = StartWindow(xvfb.Display, $"{cliNick}'s screen, shared by lilium host");
        var host = _cli.Start("cleo", "host", "--screen", xvfb.Display, "--preset", "720p", "--auto-accept", "friends", "--grant", "keyboard,mouse", "--no-prompt", "--seconds", "120");
        var session = Guid.Parse((await host.WaitForAsync(SessionLine(), TimeSpan.FromSeconds(90))).Groups[1].Value);
        await wendy.Page.GotoAsync($"/s/{session}");
        await Assertions.Expect(wendy.Page.GetByTestId("viewer")).ToHaveAttributeAsync("data-phase", "watching", new() { Timeout = 30_000 });
        var decoded = await wendy.WaitForStateAsync("viewer.stats", s => s.GetProperty("framesDecoded").GetInt32() >= 30 ? s.GetProperty("framesDecoded").GetInt32() : (int?)null,
            TimeSpan.FromSeconds(30), "decode 30 frames of the CLI host");
        Assert.True(decoded >= 30);
        var stats = await wendy.StateAsync("viewer.stats");
        Assert.Equal("H264", stats.GetProperty("codec").GetString(), ignoreCase: true);
        Assert.Equal(1280, stats.GetProperty("width").GetInt32());
        await Assertions.Expect(wendy.Page.GetByTestId("grant-mouse")).ToHaveAttributeAsync("data-on", "true");
        await host.WaitForAsync(new Regex($@"admitted\s+{webNick}\s+with"), TimeSpan.FromSeconds(10));
        await Screenshots.SaveAsync(wendy.Page, "13-browser-watches-cli-host");
        host.Process.Kill(entireProcessTree: true);
        await host.Process.WaitForExitAsync();
        await Assertions.Expect(wendy.Page.GetByTestId("viewer")).Not.ToHaveAttributeAsync("data-phase", "watching", new() { Timeout = 60_000 });

        // `lilium view` watches the browser's shared screen; the browser approves it in the join dialog.
        await wendy.Page.GotoAsync("/");
        var hosted = Guid.Parse(await wendy.GoLiveAsync("720p"));
        var view = _cli.TryRunAsync("cleo", ["view", hosted.ToString(), "--frames", "30"], TimeSpan.FromSeconds(120));
        await Assertions.Expect(wendy.Page.GetByTestId("join-dialog")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await wendy.Page.GetByTestId("join-approve").ClickAsync();
        var watched = await view;
        Assert.True(watched.ExitCode == 0, $"lilium view exited {watched.ExitCode}: {watched.StdOut}{watched.StdErr}");
        Assert.Contains("admitted", watched.StdOut);
        Assert.Contains("30 frames", watched.StdOut);
        await wendy.Page.GetByTestId("end-session").ClickAsync();
        await wendy.Page.Context.CloseAsync();
    }

    /// <summary>Something to see on the shared screen (xmessage, from x11-utils), closed when disposed.</summary>
    private static WindowProcess StartWindow(string display, string text)
    {
        var start = new System.Diagnostics.ProcessStartInfo("xmessage") { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "-center", "-buttons", "", text })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DISPLAY"] = display;
        return new WindowProcess(System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("could not start xmessage"));
    }

    private sealed class WindowProcess(System.Diagnostics.Process process) : IDisposable
    {
        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }

            process.Dispose();
        }
    }

    [GeneratedRegex(@"session\s+([0-9a-f-]{36})\s+through")]
    private static partial Regex SessionLine();

    public void Dispose() => _cli.Dispose();
}
