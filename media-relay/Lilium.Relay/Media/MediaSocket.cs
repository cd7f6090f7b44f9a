using System.Net;
using System.Net.Sockets;
using Lilium.Relay.Observability;
using Lilium.WebRtc.Net;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Media;

/// <summary>
/// The relay's media socket and its thread: one UDP socket read by one dedicated thread blocked in the kernel's receive,
/// and the ICE-TCP listener (<see cref="IceTcpListener"/>) whose connections' frames take the same way. Everything
/// received goes, one packet at a time under the media loop's lock, to one <see cref="IMediaReceiver"/>; after each, the
/// sender's queued fan-out is flushed (one <c>sendmmsg</c>). It classifies nothing and knows no peer: sends go through
/// <see cref="Sender"/> (or a decorator of it) to a <see cref="PeerPath"/>. Nothing a peer sends can throw out of it.
/// </summary>
internal sealed partial class MediaSocket : IMediaLoop, IDisposable
{
    private const int MaxDatagram = 2048;

    private readonly Socket _socket;
    private readonly IceTcpListener? _tcp;
    private readonly RelayMetrics _metrics;
    private readonly ILogger<MediaSocket> _log;

    // Held while one datagram or ICE-TCP frame is handled and its fan-out flushed: the SFU state, the inbound SRTP
    // contexts and the batch sender belong to whoever holds it. Uncontended (UDP only) it costs the media thread two
    // atomic operations per datagram.
    private readonly Lock _loop = new();
    private volatile IPacketSender? _running;

    public MediaSocket(RelayMetrics metrics, IOptions<RelayOptions> options, ILogger<MediaSocket> log)
    {
        _metrics = metrics;
        _log = log;
        var settings = options.Value;
        var bind = settings.BindIPAddress();
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(new IPEndPoint(bind, settings.MediaPort));
            _socket.ReceiveBufferSize = 4 * 1024 * 1024;
            _socket.SendBufferSize = 4 * 1024 * 1024;
            LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
            _tcp = IceTcpListener.Listen(bind, settings, metrics, log); // may fail (a taken port, 443 without the capability)
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        // Last: the batch sender holds a reference on the socket's handle until it is disposed, and disposing a socket
        // whose handle is still referenced waits for that reference — a failure after this line would hang here.
        Sender = new SocketPacketSender(_socket, metrics, settings.SendMmsg);
    }

    /// <summary>Where the UDP socket is bound (the real port when 0 was configured).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>The plain send path on this socket (production uses it as is).</summary>
    public SocketPacketSender Sender { get; }

    /// <summary>Where the ICE-TCP listener is bound, or null when ICE-TCP is off (<see cref="RelayOptions.TcpPort"/> −1).</summary>
    public IPEndPoint? TcpEndPoint => _tcp?.EndPoint;

    /// <summary>Open ICE-TCP connections.</summary>
    public int TcpConnectionCount => _tcp?.ConnectionCount ?? 0;

    /// <summary>ICE-TCP connections closed at accept because of the per-address or total cap.</summary>
    public long TcpRejected => _tcp?.Rejected ?? 0;

    /// <summary>ICE-TCP connections accepted from <paramref name="address"/> and still open (tests).</summary>
    public int TcpConnectionsFrom(IPAddress address) => _tcp?.ConnectionsFrom(address) ?? 0;

    /// <summary>
    /// Receives until <paramref name="stoppingToken"/>: UDP on a thread of its own, ICE-TCP on the accept loop and each
    /// connection's receive loop; every packet goes to <paramref name="receiver"/>, then <paramref name="sender"/> is flushed.
    /// </summary>
    public async Task RunAsync(IMediaReceiver receiver, IPacketSender sender, CancellationToken stoppingToken)
    {
        _running = sender;
        var accepting = _tcp?.RunAsync((connection, frame) => OnFrame(receiver, sender, connection, frame), receiver.OnConnectionClosed, stoppingToken)
            ?? Task.CompletedTask;
        LogListening(LocalEndPoint);
        // The media loop on a thread of its own, blocked in the kernel's receive: a datagram wakes it directly
        // (docs/relay.md, "Media thread").
        var loop = DatagramReceiveThread.Start(_socket, "relay-media", MaxDatagram,
            (datagram, remote) => OnDatagram(receiver, sender, datagram, remote),
            (ex, remote) =>
            {
                _metrics.Dropped();
                LogReceiveFailed(ex, remote.ToString() ?? "?");
            },
            stoppingToken);
        await loop;
        await accepting;
    }

    public bool Invoke(Action work)
    {
        if (_running is not { } sender)
        {
            return false;
        }

        lock (_loop)
        {
            try
            {
                work();
            }
            finally
            {
                sender.Flush();
            }
        }

        return true;
    }

    /// <summary>Once a second: closes ICE-TCP connections that never authenticated, went silent, or whose peer left.</summary>
    public void Sweep(long now) => _tcp?.Sweep(now);

    // A datagram from the receive thread: under the media loop's lock, and what it fanned out (media, retransmissions)
    // leaves in one sendmmsg.
    private void OnDatagram(IMediaReceiver receiver, IPacketSender sender, Memory<byte> datagram, IPEndPoint remote)
    {
        lock (_loop)
        {
            try
            {
                receiver.OnDatagram(datagram.Span, remote);
            }
            finally
            {
                sender.Flush();
            }
        }
    }

    // A frame from a connection's receive loop (a pool thread): handled like a datagram, under the media loop's lock.
    private void OnFrame(IMediaReceiver receiver, IPacketSender sender, IceTcpConnection connection, Span<byte> frame)
    {
        lock (_loop)
        {
            try
            {
                receiver.OnFrame(connection, frame);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _metrics.Dropped();
                LogReceiveFailed(ex, "tcp " + connection.Remote);
            }
            finally
            {
                sender.Flush(); // a TCP publisher's packet fans out to UDP subscribers too
            }
        }
    }

    public void Dispose()
    {
        _tcp?.Dispose();
        Sender.Dispose();
        _socket.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "media socket listening on {Endpoint}")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "datagram from {Remote} could not be processed")]
    private partial void LogReceiveFailed(Exception ex, string remote);
}
