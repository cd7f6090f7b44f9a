using System.Globalization;
using System.Text.RegularExpressions;
using Lilium.Auth;
using Lilium.Relay;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>
/// The harness of the browser tests that send media through our relay: a relay in this process (<see cref="RelayApp"/>,
/// or what <see cref="RelayBrowserOptions.CreateRelay"/> makes) and a headless Chromium (Debian's, under Playwright) whose
/// pages publish through WHIP and watch through WHEP. Every page gets its own browser context and is opened on the relay's
/// own origin, its HTML served by Playwright, so WHIP/WHEP and the tests' request headers need no CORS. One run, one
/// session (<see cref="Session"/>); grants are signed with the relay's key.
/// </summary>
internal sealed class RelayBrowserRun : IAsyncDisposable
{
    /// <summary>
    /// For a relay on a private (non-loopback) address: the test page is fulfilled by Playwright, so Chromium files it under
    /// the public address space and would block its requests to the relay's private 10.x address (Private/Local Network Access).
    /// </summary>
    public const string AllowPrivateNetworkRequests =
        "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks";

    private static readonly string[] ChromiumArgs =
        ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"];

    private readonly TokenKeys _keys;
    private readonly RelayBrowserOptions _options;
    private readonly WebApplication _relay;
    private IPlaywright? _playwright;
    private IBrowser? _chromium;

    private RelayBrowserRun(TokenKeys keys, RelayBrowserOptions options, string url, WebApplication relay)
    {
        _keys = keys;
        _options = options;
        Url = url;
        _relay = relay;
    }

    /// <summary>The relay's HTTP origin (WHIP, WHEP, /metrics).</summary>
    public string Url { get; }

    public Guid Session { get; } = Guid.NewGuid();

    /// <summary>The relay's services (for what a test composed into it).</summary>
    public IServiceProvider Services => _relay.Services;

    public static async Task<RelayBrowserRun> StartAsync(RelayBrowserOptions options)
    {
        var keys = TokenKeys.Generate();
        var url = $"http://{options.Address}:{Ports.FreeTcp()}";
        var relay = await options.CreateRelay(
            ["--urls", url, "--RELAY_KEY", keys.RelayKey, "--Logging:LogLevel:Default", "Warning"],
            o =>
            {
                o.BindAddress = options.Address;
                o.PublicIp = options.Address;
                o.MediaPort = 0;
                o.TcpPort = -1;
                options.Relay?.Invoke(o);
            });
        var run = new RelayBrowserRun(keys, options, url, relay);
        try
        {
            await relay.StartAsync();
            run._playwright = await Playwright.CreateAsync();
            run._chromium = await run._playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = options.ChromiumExecutable ?? Browser.ExecutablePath,
                Headless = true,
                Args = [.. ChromiumArgs, .. options.ExtraChromiumArgs],
            });
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }

        return run;
    }

    /// <summary>A grant for <see cref="Session"/> in <paramref name="role"/>, valid for five minutes.</summary>
    public string Grant(RelayRole role) => RelayGrants.Issue(_keys, Session, role, TimeSpan.FromMinutes(5));

    /// <summary>A new context with the test page open.</summary>
    public async Task<IPage> OpenAsync()
    {
        var context = await _chromium!.NewContextAsync();
        var page = await context.NewPageAsync();
        if (_options.EchoConsole)
        {
            page.Console += (_, m) => Console.WriteLine($"[browser {m.Type}] {m.Text}");
        }

        var address = $"{Url}/{_options.PageName}";
        await page.RouteAsync(address, route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = _options.Page }));
        await page.GotoAsync(address);
        return page;
    }

    /// <summary>The page's <c>window.publish(session, grant, …<paramref name="extra"/>)</c> with a host grant: WHIP's status.</summary>
    public Task<int> PublishAsync(IPage host, params object[] extra) =>
        host.EvaluateAsync<int>("([session, grant, extra]) => window.publish(session, grant, ...extra)",
            new object[] { Session.ToString(), Grant(RelayRole.Host), extra });

    /// <summary>
    /// The page's <c>window.watch(session, grant, …<paramref name="extra"/>)</c> with a viewer grant until WHEP answers 201.
    /// WHEP answers 409 until the publisher is live: that is retried (as the web app does) until <paramref name="deadline"/>.
    /// </summary>
    public async Task WatchAsync(IPage viewer, DateTime deadline, params object[] extra)
    {
        while (true)
        {
            var status = await viewer.EvaluateAsync<int>("([session, grant, extra]) => window.watch(session, grant, ...extra)",
                new object[] { Session.ToString(), Grant(RelayRole.Viewer), extra });
            if (status == 201)
            {
                return;
            }

            Assert.True(status == 409 && DateTime.UtcNow < deadline, $"WHEP answered {status}");
            await Task.Delay(250);
        }
    }

    public async Task<string> MetricsAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync($"{Url}/metrics");
    }

    /// <summary>The value of the unlabelled counter or gauge <paramref name="name"/> in /metrics (it must be there).</summary>
    public async Task<double> MetricAsync(string name)
    {
        var m = Regex.Match(await MetricsAsync(), "^" + Regex.Escape(name) + @" (\S+)$", RegexOptions.Multiline);
        Assert.True(m.Success, $"{name} is not in /metrics");
        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (_chromium is not null)
        {
            await _chromium.DisposeAsync();
        }

        _playwright?.Dispose();
        await _relay.StopAsync();
        await _relay.DisposeAsync();
    }

    /// <summary>
    /// A test page: a canvas a publisher draws on, a video element a viewer shows, the helpers every page shares and
    /// <paramref name="script"/> (which defines what the test calls: <c>window.publish</c>, <c>window.watch</c>, its stats).
    /// </summary>
    public static string Page(string title, int width, int height, string script) =>
        $"""
        <!doctype html><meta charset="utf-8"><title>{title}</title><canvas width="{width}" height="{height}"></canvas><video autoplay muted playsinline></video>
        <script>
        {PageHelpers}
        {script}
        </script>
        """;

    // pc: the page's one peer connection. negotiate: offers, POSTs the offer (after edit, with extra headers) to WHIP or
    // WHEP, applies a 201's answer; returns the status. receive: a viewer's connection (recvonly video shown in the video
    // element) negotiated at path, closing the page's previous one. noiseCanvas: a canvas of random pixels (made once,
    // drawn moving, it is detail an encoder must spend bits on).
    private const string PageHelpers = """
        let pc;
        async function negotiate(path, grant, edit = s => s, headers = {}) {
          const offer = await pc.createOffer();
          await pc.setLocalDescription(offer);
          const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + grant, ...headers }, body: edit(offer.sdp) });
          if (response.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
          return response.status;
        }
        async function receive(path, grant, edit, headers) {
          if (pc) pc.close();
          pc = new RTCPeerConnection();
          pc.addTransceiver('video', { direction: 'recvonly' });
          pc.ontrack = e => { document.querySelector('video').srcObject = new MediaStream([e.track]); };
          return negotiate(path, grant, edit, headers);
        }
        function noiseCanvas(width, height) {
          const canvas = document.createElement('canvas'); canvas.width = width; canvas.height = height;
          const g = canvas.getContext('2d'), img = g.createImageData(width, height);
          for (let i = 0; i < img.data.length; i += 4) { const v = Math.random() * 255; img.data[i] = v; img.data[i + 1] = (v * 7) % 255; img.data[i + 2] = 255 - v; img.data[i + 3] = 255; }
          g.putImageData(img, 0, 0);
          return canvas;
        }
        """;
}

/// <summary>What differs between the tests that use <see cref="RelayBrowserRun"/>.</summary>
internal sealed record RelayBrowserOptions
{
    /// <summary>The test page's HTML (<see cref="RelayBrowserRun.Page"/>).</summary>
    public required string Page { get; init; }

    /// <summary>The page's path on the relay's origin (a name for it in Chromium's logs).</summary>
    public required string PageName { get; init; }

    /// <summary>Where the relay listens (HTTP and media) and what it advertises.</summary>
    public string Address { get; init; } = "127.0.0.1";

    /// <summary>Relay options set after the harness's (loopback, an ephemeral media port, no ICE-TCP).</summary>
    public Action<RelayOptions>? Relay { get; init; }

    /// <summary>Makes the relay from its command line and options (a test composes its own parts in here).</summary>
    public Func<string[], Action<RelayOptions>, Task<WebApplication>> CreateRelay { get; init; } =
        (args, configure) => RelayApp.CreateAsync(args, configure);

    /// <summary>Chromium to start instead of <see cref="Browser.ExecutablePath"/> (a wrapper that starts it in a namespace).</summary>
    public string? ChromiumExecutable { get; init; }

    public IReadOnlyList<string> ExtraChromiumArgs { get; init; } = [];

    /// <summary>Writes the pages' console messages to this process's console.</summary>
    public bool EchoConsole { get; init; }
}
