using System.Net;
using System.Net.Sockets;

namespace Lilium.WebRtc.Net;

/// <summary>Handles one datagram on the receive thread; its memory (the thread's one buffer) is valid only during the call.</summary>
public delegate void DatagramHandler(Memory<byte> datagram, IPEndPoint source);

/// <summary>
/// A UDP socket's receive loop on a thread of its own, blocked in the kernel's receive, so a datagram wakes this thread
/// directly. An awaited receive resumes through the runtime's epoll thread and then a thread-pool worker: two wake-ups
/// per datagram, and a starved pool (an app that blocks it, a test host holding a two-core machine's workers) leaves
/// media in the socket until the pool injects a thread — 0.5–1 s seen. The relay's media loop and the SDK's peer
/// connection both receive this way (docs/relay.md, "Media thread"; docs/sdk.md).
/// </summary>
public static class DatagramReceiveThread
{
    /// <summary>How often a blocked receive looks at the stop token (the socket's receive timeout, ms).</summary>
    public const int PollMilliseconds = 250;

    /// <summary>
    /// Starts the thread <paramref name="name"/>: receives into one buffer of <paramref name="maxDatagram"/> bytes and hands
    /// each datagram to <paramref name="onDatagram"/> until <paramref name="stop"/> is cancelled or the socket is closed.
    /// An exception from the handler goes to <paramref name="onFailed"/> and the loop goes on (a malformed datagram must
    /// not end the connection); an ICMP error surfacing as a receive error is skipped. The task completes when the thread
    /// ends.
    /// </summary>
    public static Task Start(Socket socket, string name, int maxDatagram, DatagramHandler onDatagram, Action<Exception, EndPoint>? onFailed, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(onDatagram);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Receive(socket, maxDatagram, onDatagram, onFailed, stop);
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    private static void Receive(Socket socket, int maxDatagram, DatagramHandler onDatagram, Action<Exception, EndPoint>? onFailed, CancellationToken stop)
    {
        var buffer = new byte[maxDatagram];
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        socket.ReceiveTimeout = PollMilliseconds;
        while (!stop.IsCancellationRequested)
        {
            int length;
            var remote = any;
            try
            {
                length = socket.ReceiveFrom(buffer, SocketFlags.None, ref remote);
            }
            catch (SocketException)
            {
                continue; // the receive timeout (look at the token again), or e.g. ICMP port unreachable as ConnectionReset
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            try
            {
                onDatagram(buffer.AsMemory(0, length), (IPEndPoint)remote);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                onFailed?.Invoke(ex, remote);
            }
        }
    }
}
