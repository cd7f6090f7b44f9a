using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lilium.Relay.Observability;

namespace Lilium.Relay.Media;

/// <summary>
/// The ICE-TCP half of the media socket (RFC 6544, passive candidates only, as an ICE-lite agent offers them; RFC 4571
/// framing): for viewers on networks that drop UDP. It accepts connections within the caps — per source address and in
/// total; beyond them a connection is closed as soon as it is accepted — and hands every frame of every connection to
/// the one frame handler it runs with (the media socket's, which dispatches it like a datagram). Each connection has a
/// fixed receive buffer and a bounded send queue (<see cref="IceTcpConnection"/>); <see cref="Sweep"/> closes
/// connections with no authenticated check within <see cref="RelayOptions.TcpBindTimeout"/>, silent for the consent
/// timeout, or whose peer is gone.
/// </summary>
internal sealed partial class IceTcpListener : IDisposable
{
    private readonly Socket _listener;
    private readonly RelayOptions _options;
    private readonly RelayMetrics _metrics;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<IceTcpConnection, byte> _connections = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly Lock _count = new();
    private long _rejected;

    private IceTcpListener(Socket listener, RelayOptions options, RelayMetrics metrics, ILogger log)
    {
        _listener = listener;
        _options = options;
        _metrics = metrics;
        _log = log;
        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
    }

    /// <summary>Where the listener is bound.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Open connections.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Connections closed at accept because of the per-address or total cap.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>
    /// Binds the listener, or returns null when ICE-TCP is off (<see cref="RelayOptions.TcpPort"/> −1).
    /// RELAY_TCP_PORT set: that port or fail. Unset: the media port's number, else any free port (the answer's candidate
    /// carries whichever was bound, so a local run or a test works either way).
    /// </summary>
    public static IceTcpListener? Listen(IPAddress bind, RelayOptions options, RelayMetrics metrics, ILogger log)
    {
        var port = options.EffectiveTcpPort();
        if (port < 0)
        {
            return null;
        }

        Socket socket;
        try
        {
            socket = Bind(bind, port);
        }
        catch (SocketException ex) when (options.TcpPort is null && port != 0 && ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket = Bind(bind, 0);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new InvalidOperationException(
                $"ICE-TCP cannot bind {bind}:{port} (RELAY_TCP_PORT): permission denied. A port below 1024 needs root or the " +
                "cap_net_bind_service capability on the executable (the relay image sets it); set RELAY_TCP_PORT to a higher port, or -1 to turn ICE-TCP off.", ex);
        }

        return new IceTcpListener(socket, options, metrics, log);
    }

    private static Socket Bind(IPAddress bind, int port)
    {
        var listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); // a restart while old connections linger
            listener.Bind(new IPEndPoint(bind, port));
            listener.Listen(512);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Accepts until <paramref name="stoppingToken"/>: each admitted connection's frames go to <paramref name="onFrame"/>
    /// (on the connection's receive loop), and <paramref name="onClosed"/> hears of each connection that ended.
    /// </summary>
    public async Task RunAsync(TcpFrameHandler onFrame, Action<IceTcpConnection> onClosed, CancellationToken stoppingToken)
    {
        LogListening(EndPoint);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException)
            {
                // The client gave up between SYN and accept, or the descriptor table is full for a moment: a short
                // pause, so a lasting error does not spin the loop.
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(10), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            try
            {
                Admit(socket, onFrame, onClosed);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                socket.Dispose(); // reset between accept and here: nothing to serve
            }
        }
    }

    // Within the caps, a new connection starts reading; beyond them it is closed at once.
    private void Admit(Socket socket, TcpFrameHandler onFrame, Action<IceTcpConnection> onClosed)
    {
        if (socket.RemoteEndPoint is not IPEndPoint remote || !TryCount(remote.Address))
        {
            Interlocked.Increment(ref _rejected);
            _metrics.TcpRejected();
            socket.Dispose();
            return;
        }

        IceTcpConnection connection;
        try
        {
            connection = new IceTcpConnection(socket, onFrame, Environment.TickCount64);
        }
        catch
        {
            Uncount(remote.Address);
            throw;
        }

        _connections[connection] = 0;
        _metrics.TcpConnections(+1);
        _ = RunConnectionAsync(connection, onClosed);
    }

    private async Task RunConnectionAsync(IceTcpConnection connection, Action<IceTcpConnection> onClosed)
    {
        try
        {
            await connection.RunAsync();
        }
        finally
        {
            if (_connections.TryRemove(connection, out _))
            {
                Uncount(connection.Remote.Address);
                _metrics.TcpConnections(-1);
            }

            onClosed(connection);
        }
    }

    private bool TryCount(IPAddress address)
    {
        lock (_count)
        {
            _perAddress.TryGetValue(address, out var count);
            if (_connections.Count >= _options.MaxTcpConnections || count >= _options.MaxTcpConnectionsPerAddress)
            {
                return false;
            }

            _perAddress[address] = count + 1;
            return true;
        }
    }

    private void Uncount(IPAddress address)
    {
        lock (_count)
        {
            if (_perAddress.TryGetValue(address, out var count) && count > 1)
            {
                _perAddress[address] = count - 1;
            }
            else
            {
                _perAddress.Remove(address);
            }
        }
    }

    /// <summary>Connections accepted from <paramref name="address"/> and still open (tests).</summary>
    public int ConnectionsFrom(IPAddress address)
    {
        lock (_count)
        {
            return _perAddress.GetValueOrDefault(address);
        }
    }

    /// <summary>Once a second: closes connections that never authenticated, went silent (no consent check), or whose peer left.</summary>
    public void Sweep(long now)
    {
        var bindTimeout = (long)_options.TcpBindTimeout.TotalMilliseconds;
        var idleTimeout = (long)_options.ConsentTimeout.TotalMilliseconds;
        foreach (var connection in _connections.Keys)
        {
            var peer = connection.Peer;
            if ((peer is null && now - connection.OpenedMs > bindTimeout)
                || now - connection.LastReceivedMs > idleTimeout
                || peer is { IsClosed: true })
            {
                connection.Dispose(); // its receive loop ends and RunConnectionAsync forgets it
            }
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var connection in _connections.Keys)
        {
            connection.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ICE-TCP listening on {Endpoint}")]
    private partial void LogListening(IPEndPoint endpoint);
}
