using System.Text.Json;
using System.Text.RegularExpressions;
using Lilium.Testing.Netns;

namespace Lilium.Web.Tests;

/// <summary>
/// ICE-TCP end to end with a network that drops UDP: Chromium runs inside a network namespace this test creates, joined
/// to the host by a veth pair (<see cref="NetworkNamespace"/>); the namespace's packet filter (iptables) drops every UDP
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
        await using var net = await NetworkNamespace.CreateAsync();
        if (dropUdp)
        {
            await net.BlockUdpAsync();
        }

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
        var playoutDelay = Regex.Match(answer, @"a=extmap:(\d+) http://www\.webrtc\.org/experiments/rtp-hdrext/playout-delay");
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
