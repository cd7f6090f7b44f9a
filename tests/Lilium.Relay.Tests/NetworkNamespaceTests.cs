using System.Net;
using System.Net.Sockets;
using Lilium.Testing;
using Lilium.Testing.Netns;

namespace Lilium.Relay.Tests;

/// <summary>
/// The network namespace harness (tests/Lilium.Testing/Netns) on this machine's kernel: a pair that carries UDP between
/// the namespace and a socket here, a rate limit that tc reports and that lifts, a clear error where the kernel lacks a
/// queueing discipline, and clean-up — its own on dispose, and a crashed run's on the next create. Needs root.
/// </summary>
[Trait("Category", "Integration")]
public sealed class NetworkNamespaceTests
{
    [Fact]
    public async Task A_namespace_reaches_the_host_end_is_shaped_and_lifted_and_leaves_nothing_behind()
    {
        // A namespace of a run whose process is gone (no process has id 4194304 + 1: above the kernel's pid_max limit).
        var stale = $"{NetworkNamespace.Prefix}4194305-16383";
        await ProcessRunner.RunAsync("ip", ["netns", "add", stale]);

        string name, hostLink;
        await using (var net = await NetworkNamespace.CreateAsync())
        {
            (name, hostLink) = (net.Name, net.HostLink);
            var list = (await ProcessRunner.RunAsync("ip", ["netns", "list"])).StdOut;
            Assert.DoesNotContain(stale, list, StringComparison.Ordinal);
            Assert.Contains(name, list, StringComparison.Ordinal);
            Assert.StartsWith("10.231.", net.HostAddress, StringComparison.Ordinal);

            // UDP from inside the namespace reaches a socket bound to the host end.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(net.HostAddress), 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            var send = await net.ExecAsync("python3", "-c",
                $"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b'over the pair', ('{net.HostAddress}', {port}))");
            send.EnsureSuccess("python3 sendto in the namespace");
            var buffer = new byte[64];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), timeout.Token);
            Assert.Equal("over the pair", System.Text.Encoding.ASCII.GetString(buffer, 0, received.ReceivedBytes));
            Assert.Equal(net.NamespaceAddress, ((IPEndPoint)received.RemoteEndPoint).Address.ToString());

            await net.ShapeAsync(LinkShape.Rate(500));
            var shaped = await net.QdiscStatsAsync();
            Assert.Contains("tbf", shaped, StringComparison.Ordinal);
            Assert.Contains("rate 500Kbit", shaped, StringComparison.Ordinal);
            Assert.Equal(500, net.IntoNamespaceShape?.RateKbit);
            await net.ShapeAsync(LinkShape.Rate(2000)); // changed mid-test: replaced, not added
            Assert.Contains("rate 2Mbit", await net.QdiscStatsAsync(), StringComparison.Ordinal);
            await net.LiftAsync();
            Assert.DoesNotContain("tbf", await net.QdiscStatsAsync(), StringComparison.Ordinal);
            await net.LiftAsync(); // nothing to lift: no error

            await net.ShapeAsync(LinkShape.Rate(300), LinkDirection.OutOfNamespace);
            Assert.Contains("rate 300Kbit", await net.QdiscStatsAsync(LinkDirection.OutOfNamespace), StringComparison.Ordinal);

            // Delay needs netem: where the kernel lacks it, the error says so.
            try
            {
                await net.ShapeAsync(new LinkShape { DelayMs = 20 });
                Assert.Contains("netem", await net.QdiscStatsAsync(), StringComparison.Ordinal);
            }
            catch (InvalidOperationException e)
            {
                Assert.Contains("sch_netem", e.Message, StringComparison.Ordinal);
            }
        }

        var after = (await ProcessRunner.RunAsync("ip", ["netns", "list"])).StdOut;
        Assert.DoesNotContain(name, after, StringComparison.Ordinal);
        Assert.DoesNotContain(hostLink + "@", (await ProcessRunner.RunAsync("ip", ["link"])).StdOut, StringComparison.Ordinal);
    }
}
