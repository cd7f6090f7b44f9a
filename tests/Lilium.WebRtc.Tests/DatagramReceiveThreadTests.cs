using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc.Net;

namespace Lilium.WebRtc.Tests;

/// <summary>The blocking receive thread the relay's media loop and the SDK's peer connection share, on loopback sockets.</summary>
[Trait("Category", "Integration")]
public sealed class DatagramReceiveThreadTests
{
    [Fact]
    public async Task Each_datagram_reaches_the_handler_with_its_source_and_a_throwing_handler_does_not_end_the_loop()
    {
        using var socket = Bound();
        using var peer = Bound();
        var received = new BlockingCollection<(byte[] Data, IPEndPoint From, string? Thread)>();
        var failures = new BlockingCollection<(Exception Error, EndPoint From)>();
        using var stop = new CancellationTokenSource();
        var loop = DatagramReceiveThread.Start(socket, "test-media", 64,
            (datagram, from) =>
            {
                if (datagram.Span[0] == 0xFF)
                {
                    throw new InvalidDataException("hostile");
                }

                received.Add((datagram.ToArray(), from, Thread.CurrentThread.Name));
            },
            (ex, from) => failures.Add((ex, from)),
            stop.Token);

        peer.SendTo([1, 2, 3], socket.LocalEndPoint!);
        peer.SendTo([0xFF], socket.LocalEndPoint!);
        peer.SendTo(new byte[100], socket.LocalEndPoint!); // longer than the buffer: truncated (its checks then fail it)
        peer.SendTo([4], socket.LocalEndPoint!);

        Assert.True(received.TryTake(out var first, TimeSpan.FromSeconds(5)));
        Assert.Equal([1, 2, 3], first.Data);
        Assert.Equal(peer.LocalEndPoint, first.From);
        Assert.Equal("test-media", first.Thread);
        Assert.True(failures.TryTake(out var failure, TimeSpan.FromSeconds(5)));
        Assert.IsType<InvalidDataException>(failure.Error);
        Assert.Equal(peer.LocalEndPoint, failure.From);
        Assert.True(received.TryTake(out var truncated, TimeSpan.FromSeconds(5)));
        Assert.Equal(64, truncated.Data.Length);
        Assert.True(received.TryTake(out var last, TimeSpan.FromSeconds(5)));
        Assert.Equal([4], last.Data);
        Assert.False(loop.IsCompleted);

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(5)); // within one receive timeout (250 ms) of the cancellation
    }

    [Fact]
    public async Task Closing_the_socket_ends_the_thread()
    {
        var socket = Bound();
        var loop = DatagramReceiveThread.Start(socket, "test-media", 64, (_, _) => { }, null, CancellationToken.None);
        socket.Dispose();
        await loop.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(loop.IsCompletedSuccessfully);
    }

    private static Socket Bound()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }
}
