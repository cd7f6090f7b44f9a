using System.Text.Json;
using Lilium.Testing;
using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>One person at the web app, driven through its UI (what a person clicks and reads).</summary>
public sealed class WebUser(IPage page, string nickname)
{
    public IPage Page { get; } = page;

    public string Nickname { get; } = nickname;

    /// <summary>Every text frame this user's page sent over a WebSocket (to check that chat leaves only as ciphertext).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> SentFrames { get; } = new();

    /// <summary>What the page logged, its errors and its failed requests, in order (for a failure's message).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> ConsoleLines { get; } = new();

    /// <summary>The URLs of the WebSockets the page opened.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> WebSocketUrls { get; } = new();

    public static async Task<WebUser> RegisterAsync(Browser browser, WebStack stack, string nickname, string? screenshot = null)
    {
        var page = await browser.NewUserAsync(stack.AppUrl);
        var user = new WebUser(page, nickname);
        page.WebSocket += (_, ws) =>
        {
            user.WebSocketUrls.Enqueue(ws.Url);
            ws.FrameSent += (_, f) => user.SentFrames.Enqueue(f.Text ?? "");
        };
        var console = user.ConsoleLines;
        page.Console += (_, m) => console.Enqueue($"{m.Type}: {m.Text}");
        page.PageError += (_, e) => console.Enqueue($"page error: {e}");
        page.RequestFailed += (_, r) => console.Enqueue($"request failed: {r.Method} {r.Url} ({r.Failure})");
        await page.GotoAsync("/");
        try
        {
            // The first page of a run loads while the API and Chromium are still cold and, under `make test`, other
            // test assemblies share the two cores: the first screen gets a page load's allowance, not a click's.
            await page.GetByTestId("nickname").FillAsync(nickname, new() { Timeout = 60_000 });
        }
        catch (TimeoutException e)
        {
            // The page's text goes into the failure itself, so a CI log shows what the person would have seen.
            var text = await page.EvaluateAsync<string>("() => document.body ? document.body.innerText : '(no body)'");
            var said = string.Join(" | ", console.TakeLast(20));
            throw new TimeoutException($"[{nickname}] the first-run screen did not appear at {page.Url}; the page showed: {text}; its console and failed requests: {(said.Length == 0 ? "(none)" : said)}", e);
        }

        if (screenshot is not null)
        {
            await Screenshots.SaveAsync(page, screenshot);
        }

        await page.GetByTestId("create").ClickAsync();
        await Assertions.Expect(page.GetByTestId("me-nickname")).ToHaveTextAsync(nickname);
        await Assertions.Expect(page.GetByTestId("connection")).ToHaveTextAsync("Connected");
        return user;
    }

    /// <summary>This user finds <paramref name="other"/> by nickname and asks; the other accepts from their requests.</summary>
    public async Task BefriendAsync(WebUser other)
    {
        await Page.GetByTestId("nav-friends").ClickAsync();
        await Page.GetByTestId("search-input").FillAsync(other.Nickname);
        await Page.GetByTestId("search-button").ClickAsync();
        await Page.GetByTestId($"add-{other.Nickname}").ClickAsync();
        await other.Page.GetByTestId("nav-friends").ClickAsync();
        await other.Page.GetByTestId($"accept-{Nickname}").ClickAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(Page.GetByTestId($"presence-{other.Nickname}")).ToHaveAttributeAsync("data-online", "true", new() { Timeout = 15_000 });
        await Assertions.Expect(other.Page.GetByTestId($"presence-{Nickname}")).ToHaveAttributeAsync("data-online", "true", new() { Timeout = 15_000 });
    }

    /// <summary>This user starts sharing from the host page (at <paramref name="quality"/>, else the page's default) and waits until live; the session's id.</summary>
    public async Task<string> GoLiveAsync(string? quality = null)
    {
        await Page.GetByTestId("nav-host").ClickAsync();
        if (quality is not null)
        {
            await Page.GetByTestId("quality").SelectOptionAsync(quality);
        }

        await Page.GetByTestId("share").ClickAsync();
        await Assertions.Expect(Page.GetByTestId("host-status")).ToHaveTextAsync("● Live");
        return (await StateAsync("host.session.id")).GetString()!;
    }

    /// <summary>This user opens <paramref name="host"/>'s session link, the host approves, and this user watches.</summary>
    public async Task WatchAsync(WebUser host, string session)
    {
        await Page.GotoAsync($"/s/{session}");
        await host.Page.GetByTestId("join-approve").ClickAsync();
        await Assertions.Expect(Page.GetByTestId("viewer")).ToHaveAttributeAsync("data-phase", "watching");
    }

    public async Task OpenChatAsync(string friend)
    {
        await Page.GetByTestId($"friend-{friend}").ClickAsync();
        await Assertions.Expect(Page.GetByTestId($"chat-{friend}")).ToBeVisibleAsync();
    }

    public async Task SendChatAsync(string text)
    {
        await Page.GetByTestId("chat-input").FillAsync(text);
        await Page.GetByTestId("chat-send").ClickAsync();
    }

    /// <summary>Reads part of the app's state (window.lilium.state) as JSON.</summary>
    public async Task<JsonElement> StateAsync(string expression) =>
        await Page.EvaluateAsync<JsonElement>($"() => JSON.parse(JSON.stringify(window.lilium.state.{expression} ?? null))");

    public async Task<T> WaitForStateAsync<T>(string expression, Func<JsonElement, T?> read, TimeSpan timeout, string what)
        where T : struct
    {
        var until = DateTime.UtcNow + timeout;
        JsonElement last = default;
        while (DateTime.UtcNow < until)
        {
            last = await StateAsync(expression);
            if (last.ValueKind != JsonValueKind.Null && read(last) is { } value)
            {
                return value;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Nickname}: {what} within {timeout.TotalSeconds:0} s; last {expression} = {last}");
    }
}

/// <summary>Screenshots of each screen at 1280×720, for docs/screenshots/ (linked from the README).</summary>
public static class Screenshots
{
    public static string Folder => Path.Combine(RepoPaths.Root, "docs", "screenshots");

    public static async Task SaveAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Folder);
        await page.WaitForTimeoutAsync(150); // let transitions settle
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Folder, name + ".png"), FullPage = false });
    }
}
