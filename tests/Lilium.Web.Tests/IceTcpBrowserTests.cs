using System.Text.Json;
using System.Text.RegularExpressions;
using Lilium.Testing;

namespace Lilium.Web.Tests;

/// <summary>
/// ICE-TCP end to end with a network that drops UDP: Chromium runs inside a network namespace this test creates, joined
/// to the host by a veth pair on private 10.213.x.0/30 addresses; the namespace's packet filter (iptables) drops every UDP
/// packet to or from the relay's address. The relay (in process) listens on the host's end. A Chromium page publishes a canvas stream through WHIP, a
/// second Chromium context watches it through WHEP: both can only reach the relay over the passive TCP candidate.
/// Needs root (CAP_NET_ADMIN), iproute2 and iptables (scripts/install-deps.sh); CI runs tests as root.
/// </summary>
[Trait("Category", "Browser")]
public sealed class IceTcpBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// With UDP dropped, both peers select the TCP pair (active → our passive candidate); with UDP open, the same setup
    /// selects UDP, which our candidate priorities rank first.
    /// </summary>
    [Theory]
    [InlineData(true, "tcp")]
    [InlineData(false, "udp")]
    public async Task Chromium_publishes_and_watches_over_tcp_only_when_udp_is_dropped(bool dropUdp, string expected)
    {
        await using var net = await UdpDroppingNamespace.CreateAsync(dropUdp);
        await using var run = await RelayBrowserRun.StartAsync(new RelayBrowserOptions
        {
            PageName = "ice-tcp-test",
            Page = Page,
            Address = net.HostAddress,
            Relay = o => o.TcpPort = 0,
            ChromiumExecutable = net.ChromiumWrapper(Browser.ExecutablePath),
            ExtraChromiumArgs = [RelayBrowserRun.AllowPrivateNetworkRequests],
            EchoConsole = true,
        });

        var host = await run.OpenAsync();
        var viewer = await run.OpenAsync();
        await run.PublishAsync(host);

        // WHEP answers 409 until the publisher is live: retry as the web app does.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        await run.WatchAsync(viewer, deadline);

        JsonElement stats = default;
        var frames = 0;
        while (DateTime.UtcNow < deadline + TimeSpan.FromSeconds(30))
        {
            stats = await viewer.EvaluateAsync<JsonElement>("() => window.stats()");
            frames = stats.GetProperty("framesDecoded").GetInt32();
            if (frames >= 100)
            {
                break;
            }

            await Task.Delay(250);
        }

        var hostStats = await host.EvaluateAsync<JsonElement>("() => window.stats()");
        output.WriteLine($"viewer {stats}");
        output.WriteLine($"host {hostStats}");
        Assert.True(frames >= 100, $"the viewer decoded {frames} frames: {stats}");

        // Chromium offers playout-delay on video, so the relay's answer echoes it and every forwarded video packet asks
        // for min 0, max 0 (docs/relay.md, "Low latency"): the frames above were decoded with it.
        var answer = await viewer.EvaluateAsync<string>("() => pc.remoteDescription.sdp");
        var playoutDelay = System.Text.RegularExpressions.Regex.Match(answer, @"a=extmap:(\d+) http://www\.webrtc\.org/experiments/rtp-hdrext/playout-delay");
        Assert.True(playoutDelay.Success, answer);
        Assert.InRange(int.Parse(playoutDelay.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 1, 14); // one-byte form: written
        foreach (var peer in new[] { stats, hostStats })
        {
            Assert.Equal(expected, peer.GetProperty("local").GetString());
            Assert.Equal(expected, peer.GetProperty("remote").GetString());
            if (dropUdp)
            {
                Assert.Equal("active", peer.GetProperty("localType").GetString());
                Assert.Equal("passive", peer.GetProperty("remoteType").GetString());
            }
        }

        if (dropUdp)
        {
            // The filter did its work: Chromium's UDP checks towards the relay were dropped.
            var dropped = await net.DroppedUdpPacketsAsync();
            output.WriteLine($"UDP packets dropped by the namespace's filter: {dropped}");
            Assert.True(dropped > 0, "no UDP packet was dropped: the test did not exercise a UDP-blocking network");
        }
    }

    // getUserMedia needs a secure context the relay's origin is not, so the host publishes a canvas that changes 30 times
    // a second.
    private static readonly string Page = RelayBrowserRun.Page("ICE-TCP", 640, 360, """
        window.publish = async (session, grant) => {
          const canvas = document.querySelector('canvas'), g = canvas.getContext('2d');
          let n = 0;
          setInterval(() => { g.fillStyle = `hsl(${(n * 7) % 360} 80% 50%)`; g.fillRect(0, 0, 640, 360); g.fillStyle = '#fff'; g.font = '64px sans-serif'; g.fillText(String(n++), 40, 120); }, 33);
          pc = new RTCPeerConnection();
          pc.addTransceiver(canvas.captureStream(30).getVideoTracks()[0], { direction: 'sendonly' });
          return negotiate('/whip/' + session, grant);
        };
        window.watch = (session, grant) => receive('/whep/' + session, grant);
        window.stats = async () => {
          const report = await pc.getStats();
          let framesDecoded = 0, framesSent = 0, pairId = null;
          report.forEach(s => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded || 0;
            if (s.type === 'outbound-rtp' && s.kind === 'video') framesSent = s.framesSent || 0;
            if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
          });
          const pair = pairId ? report.get(pairId) : null;
          const local = pair ? report.get(pair.localCandidateId) : null, remote = pair ? report.get(pair.remoteCandidateId) : null;
          return { framesDecoded, framesSent, state: pc.connectionState, local: local ? local.protocol : null, remote: remote ? remote.protocol : null,
                   localType: local ? (local.tcpType || local.candidateType) : null, remoteType: remote ? (remote.tcpType || remote.candidateType) : null };
        };
        """);
}

/// <summary>
/// A network namespace joined to this one by a veth pair on a random private 10.213.x.0/30, whose own packet filter
/// drops UDP to and from this end; everything is removed on dispose (deleting the namespace deletes the pair and its rules).
/// </summary>
internal sealed partial class UdpDroppingNamespace : IAsyncDisposable
{
    private readonly string _directory;

    private UdpDroppingNamespace(string name, string hostLink, string nsLink, string hostAddress, string nsAddress, string directory)
    {
        Name = name;
        HostLink = hostLink;
        NamespaceLink = nsLink;
        HostAddress = hostAddress;
        NamespaceAddress = nsAddress;
        _directory = directory;
    }

    public string Name { get; }

    public string HostLink { get; }

    public string NamespaceLink { get; }

    /// <summary>This namespace's end of the pair (where the relay listens).</summary>
    public string HostAddress { get; }

    public string NamespaceAddress { get; }

    public static async Task<UdpDroppingNamespace> CreateAsync(bool dropUdp = true)
    {
        var id = Random.Shared.Next(1, 1 << 14);
        var name = $"lilium-ice{id}";
        var hostLink = $"lit{id}h";
        var nsLink = $"lit{id}n";
        var subnet = id * 4; // a /30 inside 10.213.0.0/16
        var prefix = $"10.213.{subnet / 256}.";
        var hostAddress = prefix + ((subnet % 256) + 1);
        var nsAddress = prefix + ((subnet % 256) + 2);
        var directory = Directory.CreateTempSubdirectory("lilium-ice-tcp-").FullName;
        var net = new UdpDroppingNamespace(name, hostLink, nsLink, hostAddress, nsAddress, directory);
        try
        {
            await IpAsync("netns", "add", name);
            await IpAsync("link", "add", hostLink, "type", "veth", "peer", "name", nsLink, "netns", name);
            await IpAsync("addr", "add", hostAddress + "/30", "dev", hostLink);
            await IpAsync("link", "set", hostLink, "up");
            await IpAsync("-n", name, "addr", "add", nsAddress + "/30", "dev", nsLink);
            await IpAsync("-n", name, "link", "set", nsLink, "up");
            await IpAsync("-n", name, "link", "set", "lo", "up");
            // The packet filter lives in the namespace only: nothing of this machine's own rules changes. (tc's drop
            // action needs the act_gact module, which this kernel does not have; netfilter is built in.)
            if (dropUdp)
            {
                await IptablesAsync(name, "-A", "OUTPUT", "-p", "udp", "-d", hostAddress, "-j", "DROP");
                await IptablesAsync(name, "-A", "INPUT", "-p", "udp", "-s", hostAddress, "-j", "DROP");
            }
        }
        catch
        {
            await net.DisposeAsync();
            throw;
        }

        return net;
    }

    /// <summary>An executable that starts <paramref name="chromium"/> inside the namespace (Playwright's pipes are inherited).</summary>
    public string ChromiumWrapper(string chromium)
    {
        var path = Path.Combine(_directory, "chromium-in-namespace");
        File.WriteAllText(path, $"#!/bin/sh\nexec ip netns exec {Name} {chromium} \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return path;
    }

    /// <summary>UDP packets the namespace's two DROP rules matched so far (Chromium's checks towards the relay).</summary>
    public async Task<long> DroppedUdpPacketsAsync()
    {
        long total = 0;
        foreach (var chain in new[] { "OUTPUT", "INPUT" })
        {
            var listing = await IptablesAsync(Name, "-n", "-v", "-x", "-L", chain);
            foreach (Match m in DropRule().Matches(listing))
            {
                total += long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("ip", ["netns", "del", Name], TimeSpan.FromSeconds(30)); // takes the veth pair with it
        await ProcessRunner.RunAsync("ip", ["link", "del", HostLink], TimeSpan.FromSeconds(30)); // in case the pair was made but not moved
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static async Task IpAsync(params string[] args) =>
        (await ProcessRunner.RunAsync("ip", args, TimeSpan.FromSeconds(30))).EnsureSuccess("ip " + string.Join(' ', args) + " (root, CAP_NET_ADMIN and iproute2 are needed)");

    private static async Task<string> IptablesAsync(string ns, params string[] args)
    {
        var result = await ProcessRunner.RunAsync("ip", ["netns", "exec", ns, "iptables", .. args], TimeSpan.FromSeconds(30));
        result.EnsureSuccess("iptables " + string.Join(' ', args) + " in " + ns);
        return result.StdOut;
    }

    // "    pkts      bytes target     prot ..." rows of DROP rules: the first column.
    [GeneratedRegex(@"^\s*(\d+)\s+\d+\s+DROP\s+(?:udp|17)\b", RegexOptions.Multiline)]
    private static partial Regex DropRule();
}
