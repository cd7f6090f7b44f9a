using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>, or <c>CHROMIUM_PATH</c>) under Playwright, headless, with fake media:
/// camera/microphone/screen prompts accepted, synthetic capture devices, and the screen picker answered with
/// the fake "Entire screen". Each user of a test gets its own context (its own IndexedDB, so its own identity).
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Chromium { get; private set; } = null!;

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                "--auto-select-desktop-capture-source=Entire screen",
                "--autoplay-policy=no-user-gesture-required",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--mute-audio",
            ],
        });
    }

    /// <summary>A fresh user: a new context at 1280×720 on the app's origin.</summary>
    public async Task<IPage> NewUserAsync(Uri app)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
            BaseURL = app.ToString(),
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        context.SetDefaultTimeout(20_000);
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning" or "log")
            {
                Console.WriteLine($"[browser {m.Type}] {m.Text}");
            }
        };
        page.PageError += (_, e) => Console.WriteLine($"[page error] {e}");
        return page;
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.CloseAsync();
        }

        _playwright?.Dispose();
    }
}
