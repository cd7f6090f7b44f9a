using System.Diagnostics;
using System.Globalization;
using Lilium.Auth;
using Lilium.Testing;

/// <summary>
/// Our relay (the Release build run.sh makes) as its own process on free loopback ports, with a fresh relay key, so
/// the harness signs the grants its WHIP and WHEP endpoints require; the pages' origin is its one CORS origin.
/// </summary>
internal sealed class RelayProcess : IAsyncDisposable
{
    private readonly TokenKeys _keys;
    private readonly Process _process;

    private RelayProcess(TokenKeys keys, Process process, Uri baseUri)
    {
        _keys = keys;
        _process = process;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public int ProcessId => _process.Id;

    public static async Task<RelayProcess> StartAsync(string relayDll, string pageOrigin, string cpus)
    {
        if (!File.Exists(relayDll))
        {
            throw new FileNotFoundException($"bench-glass: no relay build at {relayDll} (run.sh builds it: dotnet build media-relay/Lilium.Relay -c Release)");
        }

        var keys = TokenKeys.Generate();
        var baseUri = new Uri($"http://127.0.0.1:{Ports.FreeTcp()}");
        var environment = new Dictionary<string, string>
        {
            ["RELAY_MEDIA_PORT"] = Ports.FreeUdp().ToString(CultureInfo.InvariantCulture),
            ["RELAY_BIND_ADDRESS"] = "127.0.0.1",
            ["RELAY_PUBLIC_IP"] = "127.0.0.1",
            ["RELAY_KEY"] = keys.RelayKey,
            ["RELAY_ALLOWED_ORIGINS"] = pageOrigin,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var process = PinnedProcess.Start(cpus, "dotnet", [relayDll, "--urls", baseUri.ToString()], environment, "relay: ");
        var relay = new RelayProcess(keys, process, baseUri);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await RelayHealth.WaitAsync(http, baseUri);
        return relay;
    }

    public Uri Whip(Guid session) => new(BaseUri, $"/whip/{session}");

    public Uri Whep(Guid session) => new(BaseUri, $"/whep/{session}");

    public string Grant(Guid session, RelayRole role) => RelayGrants.Issue(_keys, session, role, TimeSpan.FromHours(1));

    public ValueTask DisposeAsync()
    {
        PinnedProcess.Stop(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
