using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Testing;

namespace Lilium.Relay.Tests;

/// <summary>
/// The relay as it ships in the image: the published executable (<c>scripts/publish-relay.sh</c> →
/// <c>artifacts/relay-aot/Lilium.Relay</c>, Native AOT; <c>LILIUM_RELAY_ARTIFACTS</c> points at another build, e.g.
/// <c>RELAY_BUILD=jit</c>'s) run as its own process on free loopback ports with fresh token keys. Published on demand
/// when absent (a first Native AOT compile takes about 5 minutes on two busy cores; <c>make test</c> publishes it first).
/// </summary>
public sealed class PublishedRelay : IAsyncLifetime, IRelayEndpoints
{
    private readonly StringBuilder _log = new();
    private Process? _process;

    public TokenKeys Keys { get; } = TokenKeys.Generate();

    public string Executable { get; private set; } = "";

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(15) };

    /// <summary>What the relay wrote to stdout and stderr so far (its JSON log).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public async Task InitializeAsync()
    {
        var dir = Environment.GetEnvironmentVariable("LILIUM_RELAY_ARTIFACTS") is { Length: > 0 } d
            ? d
            : Path.Combine(RepoPaths.Root, "artifacts", "relay-aot");
        Executable = Path.Combine(dir, "Lilium.Relay");
        if (!File.Exists(Executable))
        {
            // Two fixtures may get here at once: the script publishes once and the other waits for it (its lock).
            var result = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "publish-relay.sh"), dir], TimeSpan.FromMinutes(30),
                environment: new Dictionary<string, string?> { ["RELAY_PUBLISH_IF_ABSENT"] = "1" });
            result.EnsureSuccess("scripts/publish-relay.sh");
        }

        var httpPort = Ports.FreeTcp();
        BaseUri = new Uri($"http://127.0.0.1:{httpPort}");
        var psi = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dir,
        };
        psi.Environment["ASPNETCORE_URLS"] = BaseUri.ToString();
        psi.Environment["RELAY_KEY"] = Keys.RelayKey;
        psi.Environment["RELAY_MEDIA_PORT"] = Ports.FreeUdp().ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["RELAY_BIND_ADDRESS"] = "127.0.0.1";
        psi.Environment["RELAY_PUBLIC_IP"] = "127.0.0.1";
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the relay exited ({_process.ExitCode}) before it was ready:\n{Log}");
            }
            try
            {
                using var health = await Http.GetAsync(new Uri(BaseUri, "/health"));
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"the published relay did not answer /health within 30 s:\n{Log}");
    }

    /// <summary>The relay's /health peer count.</summary>
    public async Task<int> PeersAsync()
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(new Uri(BaseUri, "/health")));
        return json.RootElement.GetProperty("peers").GetInt32();
    }

    public Uri Whip(Guid session) => new(BaseUri, $"/whip/{session}");

    public Uri Whep(Guid session) => new(BaseUri, $"/whep/{session}");

    public string Grant(Guid session, RelayRole role, TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null)
    {
        var now = issuedAt ?? DateTimeOffset.UtcNow;
        return Keys.RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            Permissions = InputPermissions.None,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = (now + (lifetime ?? TimeSpan.FromMinutes(5))).ToUnixTimeSeconds(),
            SessionId = session,
            Role = role,
        });
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
