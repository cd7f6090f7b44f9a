using Lilium.WebRtc.Sdp;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Lilium.Auth;
using Lilium.Testing;
using Lilium.Testing.WebRtc;

/// <summary>Our relay (Release build) as its own process, driven through WHIP/WHEP with signed grants.</summary>
internal sealed class LiliumRelay : ISfuUnderTest
{
    private readonly TokenKeys _keys;
    private readonly Guid _session = Guid.NewGuid();
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly IPEndPoint _media;

    private LiliumRelay(TokenKeys keys, Process process, HttpClient http, IPEndPoint media)
    {
        _keys = keys;
        _process = process;
        _http = http;
        _media = media;
    }

    public string Name => "lilium";

    public bool Simulcast => SimulcastOn;

    public bool Feedback => TransportCc;

    public int ProcessId => _process.Id;

    public static async Task<LiliumRelay> StartAsync(string relayDll, string cpu)
    {
        var httpPort = Ports.FreeTcp();
        var mediaPort = Ports.FreeUdp();
        var keys = TokenKeys.Generate();
        var environment = new Dictionary<string, string>
        {
            ["RELAY_MEDIA_PORT"] = mediaPort.ToString(CultureInfo.InvariantCulture),
            ["RELAY_BIND_ADDRESS"] = "127.0.0.1",
            ["RELAY_PUBLIC_IP"] = "127.0.0.1", // loopback is advertised only when said outright (issue 24)
            ["Logging__LogLevel__Default"] = "Warning",
            ["RELAY_KEY"] = keys.RelayKey, // the relay takes the relay key alone (docs/security.md)
            ["RELAY_MAX_PEERS_PER_ADDRESS"] = "100000", // every bench subscriber comes from loopback
        };
        // The JIT build (Lilium.Relay.dll, through dotnet) or a published executable (the Native AOT build that ships).
        var process = relayDll.EndsWith(".dll", StringComparison.Ordinal)
            ? PinnedProcess.Start(cpu, "dotnet", [relayDll, "--urls", $"http://127.0.0.1:{httpPort}"], environment, "relay: ")
            : PinnedProcess.Start(cpu, relayDll, ["--urls", $"http://127.0.0.1:{httpPort}"], environment, "relay: ");
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        var relay = new LiliumRelay(keys, process, http, new IPEndPoint(IPAddress.Loopback, mediaPort));
        await relay.WaitHealthyAsync();
        return relay;
    }

    public Task<BenchPeer> PublishAsync() => ConnectAsync($"/whip/{_session}", RelayRole.Host, publisher: true);

    public Task<BenchPeer> SubscribeAsync() => ConnectAsync($"/whep/{_session}", RelayRole.Viewer, publisher: false);

    public ValueTask DisposeAsync()
    {
        PinnedProcess.Stop(_process);
        _process.Dispose();
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Subscribers negotiate transport-wide CC and send feedback every 50 ms (as Chromium viewers do), so the relay runs
    /// a send-side estimator per subscriber; <c>BENCH_RELAY_TWCC=off</c> measures without.
    /// </summary>
    private static readonly bool TransportCc = Environment.GetEnvironmentVariable("BENCH_RELAY_TWCC") != "off";

    /// <summary>
    /// The publisher offers three RID layers (q/h/f, <see cref="TestOffers.WithSimulcast"/>, as Chromium does) and sends
    /// them (<see cref="BenchLayers"/>), so the relay chooses a layer per subscriber; <c>BENCH_RELAY_SIMULCAST=off</c>
    /// sends the full layer alone, as the benchmark did before.
    /// </summary>
    private static readonly bool SimulcastOn = Environment.GetEnvironmentVariable("BENCH_RELAY_SIMULCAST") != "off";

    private async Task<BenchPeer> ConnectAsync(string path, RelayRole role, bool publisher)
    {
        var twcc = TransportCc && !publisher;
        var simulcast = SimulcastOn && publisher;
        Func<string, string>? edit = twcc ? TestOffers.WithTransportCc : simulcast ? TestOffers.WithSimulcast : null;
        var c = await RelayTestPeer.ConnectAsync(_http, new Uri(path, UriKind.Relative), Grant(role), _media, publisher, edit);
        var video = c.Answer.Media[0];
        var id = twcc ? (byte)video.FindExtMap(SdpExtMap.TransportWideCc)!.Id : (byte)0;
        byte rid = 0;
        if (simulcast)
        {
            if (video.Simulcast is null || video.FindExtMap(SdpExtMap.SdesRtpStreamId) is not { } ridMap)
            {
                throw new InvalidOperationException("the relay's WHIP answer accepted no simulcast (no a=simulcast or no RID extension)");
            }

            rid = (byte)ridMap.Id;
        }

        return new BenchPeer(c.Socket, c.Keys, _media, () => StunTestClient.BindingRequest($"{c.Ufrag}:oGiI", c.Password, false, out _), TransportCcId: id, RidId: rid);
    }

    /// <summary>
    /// The relay's own view of the layer choice, from <c>/metrics</c> (served to loopback): tracks on each layer
    /// (<c>lilium_relay_simulcast_layer_subscribers</c>, computed at the scrape) and switches so far
    /// (<c>lilium_relay_simulcast_switches_total</c>), to check the layers the subscribers saw arrive.
    /// </summary>
    public async Task<Dictionary<string, object>?> SelfReportAsync()
    {
        const string LayerGauge = "lilium_relay_simulcast_layer_subscribers{layer=\"";
        if (!SimulcastOn)
        {
            return null;
        }

        var layers = new Dictionary<string, object>();
        double switches = 0;
        foreach (var line in (await _http.GetStringAsync("/metrics")).Split('\n'))
        {
            if (line.StartsWith(LayerGauge, StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(LayerGauge.Length, 1), NumberStyles.None, CultureInfo.InvariantCulture, out var layer) && layer < BenchLayers.All.Length
                && double.TryParse(line.AsSpan(line.LastIndexOf(' ') + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var count))
            {
                layers[BenchLayers.Rids[layer]] = (int)count;
            }
            else if (line.StartsWith("lilium_relay_simulcast_switches_total ", StringComparison.Ordinal))
            {
                _ = double.TryParse(line.AsSpan(line.LastIndexOf(' ') + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out switches);
            }
        }

        return new Dictionary<string, object> { ["relay_layers"] = layers, ["relay_switches_total"] = (long)switches };
    }

    private string Grant(RelayRole role) => RelayGrants.Issue(_keys, _session, role, TimeSpan.FromHours(1));

    private async Task WaitHealthyAsync()
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                if ((await _http.GetAsync("/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("the relay did not become healthy");
    }
}
