using System.Globalization;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay;
using Lilium.Relay.Sessions;
using Lilium.Testing;
using Lilium.Testing.Netns;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Lilium.Web.Tests;

/// <summary>
/// Chromium peers around a relay in this process with a network namespace between some of them (LimitedViewerBrowserTests,
/// UpstreamLossBrowserTests): a page on the host publishes a 960×540 canvas of scrolling text and noise (up to ~2 Mbit/s)
/// through WHIP; one viewer watches from a second context of the same browser, another from a Chromium inside the
/// namespace (<see cref="NetworkNamespace"/>), whose veth pair tc can limit, delay or make lossy either way. The relay
/// listens on the pair's host end and advertises that address, so the host's pages reach it locally and the namespace's
/// over the pair. With <c>publisherInNamespace</c> the publishing page runs in the namespace's Chromium instead.
/// Needs root (CAP_NET_ADMIN), iproute2 and the kernel's sch_tbf and sch_netem (scripts/install-deps.sh).
/// </summary>
internal sealed class BottleneckRig : IAsyncDisposable
{
    private readonly TokenKeys _keys = TokenKeys.Generate();
    private readonly Xunit.Abstractions.ITestOutputHelper _output;
    private WebApplication? _relay;
    private IPlaywright? _playwright;
    private IBrowser? _hostBrowser;
    private IBrowser? _namespaceBrowser;
    private Guid _limitedPeer;
    private Guid _openPeer;
    private double _lastSentBytes;
    private double _lastSentAt;
    private readonly List<(double AtMs, string What)> _trace = [];
    private readonly CancellationTokenSource _stopTrace = new();
    private Task? _tracing;

    private BottleneckRig(NetworkNamespace net, Xunit.Abstractions.ITestOutputHelper output)
    {
        Namespace = net;
        _output = output;
    }

    public NetworkNamespace Namespace { get; }

    public string Url { get; private set; } = "";

    public Guid Session { get; } = Guid.NewGuid();

    public IPage Publisher { get; private set; } = null!;

    public IPage OpenViewer { get; private set; } = null!;

    public IPage LimitedViewer { get; private set; } = null!;

    /// <param name="probing">The relay probes viewers whose estimate fell (<c>RELAY_PROBING</c>).</param>
    /// <param name="output">Where <see cref="LogAsync"/> writes.</param>
    /// <param name="publisherInNamespace">The publishing page runs in the namespace's Chromium (its uplink can be impaired).</param>
    /// <param name="nackPublishers">The relay NACKs publishers for what it lost on the way in (<c>RELAY_NACK_PUBLISHERS</c>).</param>
    public static async Task<BottleneckRig> StartAsync(bool probing, Xunit.Abstractions.ITestOutputHelper output, bool publisherInNamespace = false, bool nackPublishers = true)
    {
        var rig = new BottleneckRig(await NetworkNamespace.CreateAsync(), output);
        try
        {
            await rig.StartAsync(probing, publisherInNamespace, nackPublishers);
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }

        return rig;
    }

    private async Task StartAsync(bool probing, bool publisherInNamespace, bool nackPublishers)
    {
        Url = $"http://{Namespace.HostAddress}:{Ports.FreeTcp()}";
        _relay = await RelayApp.CreateAsync(
            ["--urls", Url, "--RELAY_KEY", _keys.RelayKey, "--Logging:LogLevel:Default", "Warning"],
            o =>
            {
                o.BindAddress = Namespace.HostAddress; // the pair's host end: reachable from the host and the namespace only
                o.PublicIp = Namespace.HostAddress;
                o.MediaPort = 0;
                o.TcpPort = -1;
                o.Probing = probing;
                o.NackPublishers = nackPublishers;
            });
        await _relay.StartAsync();
        _playwright = await Playwright.CreateAsync();
        // The pages are fulfilled by Playwright, so Chromium files them under the public address space and would
        // block their requests to the relay's private 10.x address (Private/Local Network Access).
        string[] args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required",
            "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,LocalNetworkAccessChecks"];
        _hostBrowser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Browser.ExecutablePath, Headless = true, Args = args });
        _namespaceBrowser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Namespace.ChromiumWrapper(Browser.ExecutablePath),
            Headless = true,
            Args = args,
        });
        Publisher = await OpenAsync(publisherInNamespace ? _namespaceBrowser : _hostBrowser);
        OpenViewer = await OpenAsync(_hostBrowser);
        LimitedViewer = await OpenAsync(_namespaceBrowser);
    }

    /// <summary>Publishes, then both viewers watch (WHEP retried while it answers 409) until each decoded 30 frames.</summary>
    public async Task ConnectAsync(bool simulcast)
    {
        var status = await Publisher.EvaluateAsync<int>("([session, grant, simulcast]) => window.publish(session, grant, simulcast)",
            new object[] { Session.ToString(), Grant(RelayRole.Host), simulcast });
        Assert.Equal(201, status);
        _openPeer = await WatchAsync(OpenViewer);
        _limitedPeer = await WatchAsync(LimitedViewer);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        foreach (var viewer in new[] { OpenViewer, LimitedViewer })
        {
            while (Num(await StatsAsync(viewer), "framesDecoded") < 30)
            {
                Assert.True(DateTime.UtcNow < deadline, $"a viewer decoded {await StatsAsync(viewer)} within 40 s");
                await Task.Delay(250);
            }
        }
    }

    private async Task<Guid> WatchAsync(IPage viewer)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var result = await viewer.EvaluateAsync<JsonElement>("([session, grant]) => window.watch(session, grant)",
                new object[] { Session.ToString(), Grant(RelayRole.Viewer) });
            var status = result.GetProperty("status").GetInt32();
            if (status == 201)
            {
                return Guid.Parse(result.GetProperty("location").GetString()!.Split('/')[^1]);
            }

            Assert.True(status == 409 && DateTime.UtcNow < deadline, $"WHEP answered {status}");
            await Task.Delay(250);
        }
    }

    /// <summary>The limited viewer's transport estimate at the relay (bits/s; 100 Mbit/s while it constrains nothing).</summary>
    public double LimitedEstimateBps() => EstimateBps(_limitedPeer);

    private double EstimateBps(Guid peer) => Peer(peer)?.Estimate?.ConstraintBps ?? double.NaN;

    /// <summary>A live peer of the relay's, by id (null once it left).</summary>
    private Lilium.Relay.Media.MediaPeer? Peer(Guid id) =>
        _relay!.Services.GetRequiredService<SessionRegistry>().Peers.FirstOrDefault(p => p.Id == id);

    // The estimator's parts, read off the media loop for the log only (doubles: a torn read is not possible).
    /// <summary>The simulcast layer each viewer's video track is on (0 = low; -1: no simulcast or not started).</summary>
    public int LimitedLayer() => Layer(_limitedPeer);

    public int OpenLayer() => Layer(_openPeer);

    private int Layer(Guid peer) => Peer(peer)?.TrackFor("video")?.CurrentLayer ?? -1;

    private string Parts(Guid peer)
    {
        var estimate = Peer(peer)?.Estimate;
        return estimate is null ? "-" : string.Create(CultureInfo.InvariantCulture,
            $"path {Peer(peer)!.PathEstimateBps / 1e6:F2}, rr {(Peer(peer)!.Bandwidth.Bps ?? 0) / 1e6:F2}, delay {estimate.Estimator.DelayBasedBps / 1e6:F2}, loss cap {Math.Min(estimate.Estimator.LossBasedBps, 1e8) / 1e6:F2}, acked {(estimate.Estimator.AcknowledgedBps ?? 0) / 1e6:F2}, " +
            $"last probe #{estimate.Prober.Cluster.Id} at {estimate.Prober.Cluster.Bps / 1e6:F2} Mbit/s: {estimate.Prober.PacketsSent} sent");
    }

    public static Task<JsonElement> StatsAsync(IPage page) => page.EvaluateAsync<JsonElement>("() => window.stats()");

    /// <summary>One line: the publisher's send rate and target, both viewers' estimates and frames.</summary>
    public async Task LogAsync(string when)
    {
        var p = await StatsAsync(Publisher);
        var limited = await StatsAsync(LimitedViewer);
        var open = await StatsAsync(OpenViewer);
        var bytes = Num(p, "bytesSent");
        var at = Num(p, "timestamp");
        var rate = _lastSentAt > 0 && at > _lastSentAt ? (bytes - _lastSentBytes) * 8 * 1000 / (at - _lastSentAt) : 0;
        (_lastSentBytes, _lastSentAt) = (bytes, at);
        var line = string.Create(CultureInfo.InvariantCulture,
            $"  {when}: publisher {rate / 1e6:F2} Mbit/s (target {Num(p, "targetBitrate") / 1e6:F2}, {Num(p, "frameWidth")}x{Num(p, "frameHeight")}); " +
            $"estimates limited {LimitedEstimateBps() / 1e6:F2} ({Parts(_limitedPeer)}), open {EstimateBps(_openPeer) / 1e6:F2} ({Parts(_openPeer)}) Mbit/s; " +
            $"frames limited {Num(limited, "framesDecoded")} (freezes {Num(limited, "freezeCount")}, layer {LimitedLayer()}{Selection(_limitedPeer)}), open {Num(open, "framesDecoded")} (layer {OpenLayer()})");
        _output.WriteLine(line);
    }

    /// <summary>The limited viewer's layer choice for the log: target, trial in progress, failed trials, trial padding so far.</summary>
    private string Selection(Guid peer)
    {
        var layers = Peer(peer)?.TrackFor("video")?.Layers;
        return layers is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $", target {layers.Target}, trial {layers.Trial} at {layers.TrialBps / 1e6:F2}, failed {layers.FailedTrials}, trial padding {Metrics.TrialPaddingPackets}, stopped by queue {Metrics.TrialsStoppedByQueue}, PLIs {Metrics.PlisSent}");
    }

    /// <summary>
    /// Starts sampling the relay's view of the limited viewer every 20 ms (its layer, target and trial, the queue its
    /// feedback shows, and the relay's keyframe, NACK and trial counters), keeping each change with its time (epoch ms),
    /// so a freeze the page saw can be put beside what the relay did then (<see cref="TraceAround"/>).
    /// </summary>
    public void StartTrace()
    {
        _tracing ??= Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
            string? last = null;
            try
            {
                while (await timer.WaitForNextTickAsync(_stopTrace.Token))
                {
                    var (state, detail) = TraceState();
                    if (state != last)
                    {
                        lock (_trace)
                        {
                            if (_trace.Count < 20_000)
                            {
                                _trace.Add((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), $"{state}; {detail}"));
                            }
                        }

                        last = state;
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    /// <summary>The trace's changes between <paramref name="fromMs"/> and <paramref name="toMs"/> (epoch ms), one per line, times relative to <paramref name="originMs"/>.</summary>
    public string TraceAround(double fromMs, double toMs, double originMs)
    {
        lock (_trace)
        {
            return string.Join(Environment.NewLine, _trace.Where(t => t.AtMs >= fromMs && t.AtMs <= toMs)
                .Select(t => string.Create(CultureInfo.InvariantCulture, $"    {t.AtMs - originMs,7:F0} ms: {t.What}")));
        }
    }

    // What a change is looked for in, and what is written beside it (the estimate moves with every feedback).
    private (string State, string Detail) TraceState()
    {
        var peer = Peer(_limitedPeer);
        var track = peer?.TrackFor("video");
        var queueMs = (peer?.Estimate?.Estimator.QueuingDelayMicros ?? 0) / 1000;
        var m = Metrics;
        var state = string.Create(CultureInfo.InvariantCulture,
            $"layer {track?.CurrentLayer} target {track?.Layers.Target} trial {track?.Layers.Trial} padding {track?.TrialPaddingBps / 1e6:F2} Mbit/s, queue {(queueMs >= 20 ? queueMs : 0)} ms; " +
            $"stopped by queue {m.TrialsStoppedByQueue}, keyframe requests in {m.KeyframeRequestsReceived}, PLIs out {m.PlisSent}, NACKs in {m.NacksReceived}, RTX out {m.RtxSent}, probes {m.ProbeClusters}");
        return (state, peer is null ? "" : string.Create(CultureInfo.InvariantCulture, $"estimate {EstimateBps(_limitedPeer) / 1e6:F2} ({Parts(_limitedPeer)})"));
    }

    /// <summary>The relay's metrics, read in process (/metrics answers loopback only).</summary>
    public Lilium.Relay.Observability.RelayMetrics Metrics => _relay!.Services.GetRequiredService<Lilium.Relay.Observability.RelayMetrics>();

    /// <summary>Probe clusters and padding packets the relay sent (its metrics, read in process: /metrics answers loopback only).</summary>
    public (long Clusters, long Packets) Probes() => (Metrics.ProbeClusters, Metrics.ProbePackets);

    private string Grant(RelayRole role)
    {
        var now = DateTimeOffset.UtcNow;
        return _keys.RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            Permissions = InputPermissions.None,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = (now + TimeSpan.FromMinutes(10)).ToUnixTimeSeconds(),
            SessionId = Session,
            Role = role,
        });
    }

    // A page on the relay's own origin (so WHIP/WHEP need no CORS), its HTML served by Playwright.
    private async Task<IPage> OpenAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.RouteAsync($"{Url}/limited-viewer-test", route => route.FulfillAsync(new RouteFulfillOptions { ContentType = "text/html", Body = Page }));
        await page.GotoAsync($"{Url}/limited-viewer-test");
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopTrace.CancelAsync();
        if (_tracing is not null)
        {
            await _tracing;
        }

        _stopTrace.Dispose();
        if (_namespaceBrowser is not null)
        {
            await _namespaceBrowser.DisposeAsync();
        }

        if (_hostBrowser is not null)
        {
            await _hostBrowser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_relay is not null)
        {
            await _relay.StopAsync();
            await _relay.DisposeAsync();
        }

        await Namespace.DisposeAsync();
    }

    public static double Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;

    // The host draws a 960×540 canvas 30 times a second: scrolling dense text, a sliding noise patch and a counter —
    // detail the encoder spends up to its 2 Mbit/s ceiling for this size on; hinted 'detail' as a screen share is. publish(…,
    // true) sends two simulcast encodings (for the Done-when test once the relay selects layers). watch() records the gaps
    // between presented frames (requestVideoFrameCallback); stats() gives the inbound and outbound video counters.
    private const string Page = """
        <!doctype html><meta charset="utf-8"><title>Limited viewer</title><canvas width="960" height="540"></canvas><video autoplay muted playsinline></video>
        <script>
        let pc;
        let gaps = { last: 0, max: 0, frames: 0, list: [] };
        let draws = { last: 0, stalls: [] };
        async function negotiate(path, grant) {
          const offer = await pc.createOffer();
          await pc.setLocalDescription(offer);
          const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + grant }, body: offer.sdp });
          if (response.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
          return { status: response.status, location: response.headers.get('Location') };
        }
        window.publish = async (session, grant, simulcast) => {
          const canvas = document.querySelector('canvas'), g = canvas.getContext('2d');
          // A desktop-like picture: a panel of dense coloured text scrolling 3 px a frame and a 192×192 noise patch sliding
          // along the bottom — detail that keeps a 960×540 VP8 stream near its 2 Mbit/s ceiling at a frame rate this
          // machine can encode (a full-frame noise texture gets ~2 frames a second).
          const text = document.createElement('canvas'); text.width = 880; text.height = 1600;
          const tg = text.getContext('2d'); tg.fillStyle = '#fafafa'; tg.fillRect(0, 0, 880, 1600); tg.font = '15px monospace';
          for (let y = 18; y < 1600; y += 18) { tg.fillStyle = `hsl(${(y * 37) % 360} 70% 35%)`; let line = ''; for (let i = 0; i < 96; i++) line += String.fromCharCode(33 + Math.floor(Math.random() * 90)); tg.fillText(line, 4, y); }
          const noise = document.createElement('canvas'); noise.width = 192; noise.height = 192;
          const ng = noise.getContext('2d'), img = ng.createImageData(192, 192);
          for (let i = 0; i < img.data.length; i += 4) { const v = Math.random() * 255; img.data[i] = v; img.data[i + 1] = (v * 7) % 255; img.data[i + 2] = 255 - v; img.data[i + 3] = 255; }
          ng.putImageData(img, 0, 0);
          let n = 0;
          setInterval(() => {
            const now = performance.now();
            if (draws.last && now - draws.last >= 150 && draws.stalls.length < 200) draws.stalls.push({ at: performance.timeOrigin + draws.last, ms: now - draws.last });
            draws.last = now;
            g.fillStyle = '#203040'; g.fillRect(0, 0, 960, 540);
            g.drawImage(text, 0, (n * 3) % 1200, 880, 300, 40, 20, 880, 300);
            g.drawImage(noise, (n * 6) % 768, 330);
            g.fillStyle = '#fff'; g.fillRect(760, 440, 180, 80); g.fillStyle = '#000'; g.font = '56px sans-serif'; g.fillText(String(n++), 770, 500);
          }, 33);
          pc = new RTCPeerConnection();
          const track = canvas.captureStream(30).getVideoTracks()[0];
          track.contentHint = 'detail';
          const init = { direction: 'sendonly' };
          if (simulcast) init.sendEncodings = [{ rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 300000 }, { rid: 'h', maxBitrate: 2000000 }];
          pc.addTransceiver(track, init);
          return (await negotiate('/whip/' + session, grant)).status;
        };
        window.watch = async (session, grant) => {
          if (pc) pc.close();
          pc = new RTCPeerConnection();
          pc.addTransceiver('video', { direction: 'recvonly' });
          const video = document.querySelector('video');
          pc.ontrack = e => { video.srcObject = new MediaStream([e.track]); };
          const onFrame = (now) => {
            if (gaps.last) gaps.max = Math.max(gaps.max, now - gaps.last);
            if (gaps.last && now - gaps.last >= 250 && gaps.list.length < 200) gaps.list.push({ at: performance.timeOrigin + gaps.last, ms: now - gaps.last });
            gaps.last = now; gaps.frames++;
            video.requestVideoFrameCallback(onFrame);
          };
          video.requestVideoFrameCallback(onFrame);
          return negotiate('/whep/' + session, grant);
        };
        // The longest gap between presented frames since the last reset (the gap running now included) and each gap of
        // 250 ms or more (its start, epoch ms, and length), then reset.
        window.resetGaps = () => {
          const now = performance.now();
          if (gaps.last && now - gaps.last >= 250) gaps.list.push({ at: performance.timeOrigin + gaps.last, ms: now - gaps.last });
          const result = { maxGapMs: Math.max(gaps.max, gaps.last ? now - gaps.last : 0), frames: gaps.frames, list: gaps.list };
          gaps = { last: now, max: 0, frames: 0, list: [] };
          return result;
        };
        // The publisher's drawing stalls (150 ms or more between two draws of its 33 ms timer) since the last call.
        window.drawStalls = () => { const result = draws.stalls; draws.stalls = []; return result; };
        window.stats = async () => {
          const report = await pc.getStats();
          const r = { timestamp: performance.now() };
          report.forEach(s => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
              for (const k of ['framesDecoded', 'framesReceived', 'framesDropped', 'freezeCount', 'totalFreezesDuration', 'bytesReceived', 'packetsLost', 'nackCount', 'pliCount', 'frameWidth', 'frameHeight'])
                r[k] = s[k] || 0;
            }
            if (s.type === 'outbound-rtp' && s.kind === 'video') {
              r.bytesSent = (r.bytesSent || 0) + (s.bytesSent || 0); r.targetBitrate = (r.targetBitrate || 0) + (s.targetBitrate || 0);
              r.nacksReceived = (r.nacksReceived || 0) + (s.nackCount || 0); r.plisReceived = (r.plisReceived || 0) + (s.pliCount || 0);
              r.retransmittedPacketsSent = (r.retransmittedPacketsSent || 0) + (s.retransmittedPacketsSent || 0);
              r.frameWidth = Math.max(r.frameWidth || 0, s.frameWidth || 0); r.frameHeight = Math.max(r.frameHeight || 0, s.frameHeight || 0); r.timestamp = s.timestamp;
            }
            if (s.type === 'candidate-pair' && s.nominated && s.availableOutgoingBitrate) r.availableOutgoingBitrate = s.availableOutgoingBitrate;
          });
          return r;
        };
        </script>
        """;
}
