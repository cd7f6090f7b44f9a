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
        var process = PinnedProcess.Start(cpu, "dotnet", [relayDll, "--urls", $"http://127.0.0.1:{httpPort}"], environment, "relay: ");
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

    private async Task<BenchPeer> ConnectAsync(string path, RelayRole role, bool publisher)
    {
        var twcc = TransportCc && !publisher;
        var c = await RelayTestPeer.ConnectAsync(_http, new Uri(path, UriKind.Relative), Grant(role), _media, publisher, twcc ? TestOffers.WithTransportCc : null);
        var id = twcc ? (byte)c.Answer.Media[0].FindExtMap(SdpExtMap.TransportWideCc)!.Id : (byte)0;
        return new BenchPeer(c.Socket, c.Keys, _media, () => StunTestClient.BindingRequest($"{c.Ufrag}:oGiI", c.Password, false, out _), TransportCcId: id);
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
