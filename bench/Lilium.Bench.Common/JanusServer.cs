using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Lilium.Bench;

/// <summary>
/// Debian's <c>janus</c> (installed by <c>scripts/install-deps.sh bench</c>) as a benchmark's peer: only the VideoRoom
/// plugin and the HTTP transport, from a configuration written to a temporary folder — HTTP on a free loopback port,
/// ICE-lite, no session timeout, logging to stderr at warning level — and one room (<see cref="Room"/>, VP8, one
/// publisher, no bitrate cap, no periodic keyframe requests). libnice gathers on the host's interface addresses,
/// never loopback, so its peers' traffic travels the loopback device between the host's own addresses.
/// </summary>
public sealed class JanusServer : IDisposable
{
    /// <summary>Where Debian installs the server.</summary>
    public const string Binary = "/usr/bin/janus";

    /// <summary>The room every benchmark uses.</summary>
    public const int Room = 1234;

    private const string Lib = "/usr/lib/x86_64-linux-gnu/janus";

    private readonly Process _process;
    private readonly string _folder;

    private JanusServer(Process process, string folder, Uri api)
    {
        _process = process;
        _folder = folder;
        Api = api;
    }

    /// <summary>The HTTP API's base, <c>http://127.0.0.1:PORT/janus</c>.</summary>
    public Uri Api { get; }

    /// <summary>Janus's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Whether <see cref="Binary"/> and its VideoRoom plugin are installed.</summary>
    public static bool Installed => File.Exists(Binary) && File.Exists(Path.Combine(Lib, "plugins", "libjanus_videoroom.so"));

    /// <summary>
    /// Starts Janus on CPU <paramref name="cpu"/> (a taskset list) and waits until its HTTP API answers.
    /// <paramref name="allowOrigin"/> is the page origin its CORS headers name (null: none, for non-browser peers).
    /// </summary>
    public static async Task<JanusServer> StartAsync(string cpu, string? allowOrigin = null)
    {
        var folder = Directory.CreateTempSubdirectory("lilium-bench-janus-").FullName;
        var port = FreeTcpPort();
        WriteConfiguration(folder, port, allowOrigin);
        var process = PinnedProcess.Start(cpu, Binary, ["-F", folder, "-C", Path.Combine(folder, "janus.jcfg")], new Dictionary<string, string>(), "janus: ");
        var janus = new JanusServer(process, folder, new Uri($"http://127.0.0.1:{port}/janus"));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var i = 0; ; i++)
        {
            try
            {
                using var info = await http.GetAsync(new Uri(janus.Api + "/info"));
                if (info.IsSuccessStatusCode)
                {
                    return janus;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (i >= 100 || process.HasExited)
            {
                janus.Dispose();
                throw new InvalidOperationException("Janus did not start (its messages are above, prefixed 'janus: ')");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Stops Janus and removes its configuration.</summary>
    public void Dispose()
    {
        PinnedProcess.Stop(_process);
        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WriteConfiguration(string folder, int port, string? allowOrigin)
    {
        foreach (var (kind, file) in new[] { ("plugins", "libjanus_videoroom.so"), ("transports", "libjanus_http.so") })
        {
            Directory.CreateDirectory(Path.Combine(folder, kind));
            File.CreateSymbolicLink(Path.Combine(folder, kind, file), Path.Combine(Lib, kind, file));
        }

        Directory.CreateDirectory(Path.Combine(folder, "none"));
        File.WriteAllText(Path.Combine(folder, "janus.jcfg"), $$"""
            general: {
              configs_folder = "{{folder}}"
              plugins_folder = "{{folder}}/plugins"
              transports_folder = "{{folder}}/transports"
              events_folder = "{{folder}}/none"
              loggers_folder = "{{folder}}/none"
              debug_level = 2
              session_timeout = 0
            }
            media: {
              rtp_port_range = "30000-40000"
            }
            nat: {
              nice_debug = false
              ice_lite = true
            }
            """);
        var cors = allowOrigin is null ? "" : $$"""

            cors: {
              allow_origin = "{{allowOrigin}}"
            }
            """;
        File.WriteAllText(Path.Combine(folder, "janus.transport.http.jcfg"), $$"""
            general: {
              json = "plain"
              base_path = "/janus"
              http = true
              port = {{port}}
              interface = "lo"
            }
            admin: {
              admin_http = false
            }
            """ + cors);
        File.WriteAllText(Path.Combine(folder, "janus.plugin.videoroom.jcfg"), $$"""
            general: {
            }
            room-{{Room}}: {
              description = "lilium bench"
              publishers = 1
              bitrate = 0
              fir_freq = 0
              videocodec = "vp8"
            }
            """);
    }
}
