using Microsoft.Playwright;

/// <summary>
/// Two headless Debian Chromium processes under Playwright — the host's and the viewer's, so encoding and decoding
/// run in different browsers as they would on two machines — each with one 1280x720 page from the page server.
/// </summary>
internal sealed class Browsers : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _hostBrowser;
    private readonly IBrowser _viewerBrowser;

    private Browsers(IPlaywright playwright, IBrowser hostBrowser, IBrowser viewerBrowser, IPage host, IPage viewer)
    {
        _playwright = playwright;
        _hostBrowser = hostBrowser;
        _viewerBrowser = viewerBrowser;
        Host = host;
        Viewer = viewer;
    }

    public IPage Host { get; }

    public IPage Viewer { get; }

    public string Version => _hostBrowser.Version;

    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public static async Task<Browsers> StartAsync(Uri origin, string contentHint, bool noise)
    {
        var playwright = await Playwright.CreateAsync();
        var hostBrowser = await LaunchAsync(playwright);
        var viewerBrowser = await LaunchAsync(playwright);
        var host = await OpenAsync(hostBrowser, new Uri(origin, $"/host.html?hint={Uri.EscapeDataString(contentHint)}&noise={(noise ? 1 : 0)}"), "host");
        var viewer = await OpenAsync(viewerBrowser, new Uri(origin, "/viewer.html"), "viewer");
        return new Browsers(playwright, hostBrowser, viewerBrowser, host, viewer);
    }

    public async ValueTask DisposeAsync()
    {
        await _hostBrowser.CloseAsync();
        await _viewerBrowser.CloseAsync();
        _playwright.Dispose();
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ExecutablePath,
        Headless = true,
        Args =
        [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--autoplay-policy=no-user-gesture-required",
            // Host candidates as addresses, not mDNS names the other browser (and Janus) would have to resolve.
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            // A page that is not in front must still draw and decode on time.
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--disable-backgrounding-occluded-windows",
        ],
    });

    private static async Task<IPage> OpenAsync(IBrowser browser, Uri url, string name)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        page.Console += (_, m) =>
        {
            if (m.Type is "error" or "warning")
            {
                Console.Error.WriteLine($"[{name} {m.Type}] {m.Text}");
            }
        };
        page.PageError += (_, e) => Console.Error.WriteLine($"[{name} page error] {e}");
        await page.GotoAsync(url.ToString());
        return page;
    }
}
