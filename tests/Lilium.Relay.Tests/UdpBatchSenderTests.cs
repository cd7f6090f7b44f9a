using System.Net;
using System.Net.Sockets;
using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>
/// The media loop's batched fan-out over real loopback sockets: sendmmsg (Linux) and the SendTo
/// path deliver the same datagrams to the right receivers, batches larger than the capacity
/// split, the sockaddr bytes match the platform's own, and one refused datagram does not cost
/// the rest of its batch.
/// </summary>
[Trait("Category", "Integration")]
public sealed class UdpBatchSenderTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Delivers_every_datagram_of_a_batch_larger_than_its_capacity_to_its_own_receiver(bool sendMmsg)
    {
        using var sender = Bound(IPAddress.Loopback);
        var receivers = Enumerable.Range(0, 3).Select(_ => Bound(IPAddress.Loopback)).ToArray();
        var results = new List<BatchResult>();
        using var batch = new UdpBatchSender(sender, capacity: 4, results.Add, sendMmsg);
        Assert.Equal(sendMmsg && OperatingSystem.IsLinux(), batch.UsesSendMmsg);

        long expectedBytes = 0;
        for (var i = 0; i < 10; i++)
        {
            var payload = Payload(i);
            payload.CopyTo(batch.Reserve());
            batch.Commit(payload.Length, (IPEndPoint)receivers[i % 3].LocalEndPoint!);
            expectedBytes += payload.Length;
        }

        Assert.Equal(2, batch.Pending); // 4 + 4 went out when the slots ran out
        batch.Flush();
        Assert.Equal(0, batch.Pending);
        Assert.Equal(sendMmsg && OperatingSystem.IsLinux(), batch.UsesSendMmsg); // libc's sendmmsg loaded and worked
        Assert.Equal(3, results.Count);
        Assert.Equal(10, results.Sum(r => r.Sent));
        Assert.Equal(expectedBytes, results.Sum(r => r.Bytes));
        Assert.Equal(0, results.Sum(r => r.Dropped));

        for (var r = 0; r < 3; r++)
        {
            var expected = Enumerable.Range(0, 10).Where(i => i % 3 == r).ToList();
            foreach (var i in expected)
            {
                Assert.Equal(Payload(i), Receive(receivers[r]));
            }

            Assert.Equal(0, receivers[r].Available);
            receivers[r].Dispose();
        }
    }

    [Fact]
    public void An_ipv6_socket_reaches_ipv6_and_dual_mode_ipv4_receivers()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return; // nothing to test on a host without IPv6
        }

        Socket sender;
        try
        {
            sender = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            sender.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        }
        catch (SocketException)
        {
            return; // IPv6 disabled in this kernel
        }

        using var _ = sender;
        using var v4 = Bound(IPAddress.Loopback);
        Socket v6;
        try
        {
            v6 = Bound(IPAddress.IPv6Loopback);
        }
        catch (SocketException)
        {
            return;
        }

        using var __ = v6;
        var results = new List<BatchResult>();
        using var batch = new UdpBatchSender(sender, capacity: 8, results.Add);
        Payload(1).CopyTo(batch.Reserve());
        batch.Commit(Payload(1).Length, (IPEndPoint)v4.LocalEndPoint!);
        Payload(2).CopyTo(batch.Reserve());
        batch.Commit(Payload(2).Length, (IPEndPoint)v6.LocalEndPoint!);
        batch.Flush();

        Assert.Equal(2, results.Single().Sent);
        Assert.Equal(Payload(1), Receive(v4));
        Assert.Equal(Payload(2), Receive(v6));
    }

    [Theory]
    [InlineData("127.0.0.1", 5004, false)]
    [InlineData("203.0.113.9", 65535, false)]
    [InlineData("::1", 7882, true)]
    [InlineData("2001:db8::7", 1, true)]
    [InlineData("198.51.100.20", 3478, true)]
    public void Writes_the_platforms_own_sockaddr_bytes(string address, int port, bool ipv6Socket)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the layout is Linux's; elsewhere the SendTo path is used
        }

        var endpoint = new IPEndPoint(IPAddress.Parse(address), port);
        var expected = (ipv6Socket && endpoint.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(endpoint.Address.MapToIPv6(), port)
            : endpoint).Serialize();
        var written = new byte[28];
        var length = UdpBatchSender.WriteSockAddr(endpoint, written, ipv6Socket);

        Assert.Equal(expected.Size, (int)length);
        Assert.Equal(expected.Buffer[..expected.Size].ToArray(), written[..(int)length]);
    }

    [Fact]
    public void A_datagram_the_kernel_refuses_costs_only_itself()
    {
        using var sender = Bound(IPAddress.Loopback);
        using var live = Bound(IPAddress.Loopback);
        var closedPort = ClosedPort();
        var results = new List<BatchResult>();
        using var batch = new UdpBatchSender(sender, capacity: 8, results.Add);

        // The first send to a closed loopback port succeeds and queues ICMP port-unreachable on the
        // socket; a later send reports it (ECONNREFUSED) for one datagram at most.
        for (var round = 0; round < 3; round++)
        {
            Payload(round).CopyTo(batch.Reserve());
            batch.Commit(Payload(round).Length, closedPort);
            Payload(100 + round).CopyTo(batch.Reserve());
            batch.Commit(Payload(100 + round).Length, (IPEndPoint)live.LocalEndPoint!);
            batch.Flush();
            Thread.Sleep(20);
        }

        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(Payload(100 + round), Receive(live));
        }

        Assert.Equal(6, results.Sum(r => r.Sent + r.Dropped));
        Assert.True(results.Sum(r => r.Sent) >= 4, $"sent {results.Sum(r => r.Sent)} of 6");
    }

    [Fact]
    public void Commit_without_a_free_slot_is_refused()
    {
        using var sender = Bound(IPAddress.Loopback);
        using var batch = new UdpBatchSender(sender, capacity: 1);
        batch.Reserve();
        batch.Commit(4, (IPEndPoint)sender.LocalEndPoint!);
        Assert.Throws<InvalidOperationException>(() => batch.Commit(4, (IPEndPoint)sender.LocalEndPoint!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpBatchSender(sender, capacity: 0));
        batch.Dispose();
        Assert.Throws<ObjectDisposedException>(() => batch.Reserve());
    }

    private static Socket Bound(IPAddress address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    private static IPEndPoint ClosedPort()
    {
        using var probe = Bound(IPAddress.Loopback);
        return (IPEndPoint)probe.LocalEndPoint!; // closed once disposed
    }

    private static byte[] Payload(int i) => Enumerable.Range(0, 40 + i).Select(b => (byte)(b ^ i)).ToArray();

    private static byte[] Receive(Socket socket)
    {
        var buffer = new byte[2048];
        var n = socket.Receive(buffer);
        return buffer[..n];
    }
}
