using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc;

namespace Lilium.Relay.Media;

/// <summary>
/// ICE-TCP (RFC 6544, passive candidates only, as an ICE-lite agent offers them; RFC 4571 framing): for viewers on
/// networks that drop UDP. Each accepted connection's frames go through the same dispatch as UDP datagrams — STUN to
/// the peer's ICE-lite agent, DTLS to its association, SRTP/SRTCP to the SFU — under the media loop's lock. A connection
/// belongs to the peer of its first authenticated Binding request, as a 5-tuple does on UDP. Limits: connections per
/// source address and in total (beyond them a connection is closed as soon as it is accepted), a fixed receive buffer
/// and a bounded send queue per connection (IceTcpConnection), and a sweep once a second that closes connections with
/// no authenticated check within <see cref="RelayOptions.TcpBindTimeout"/>, silent for the consent timeout, or whose
/// peer is gone.
/// </summary>
internal sealed partial class MediaServer
{
    private readonly Socket? _tcpListener;
    private readonly ConcurrentDictionary<IceTcpConnection, byte> _tcpConnections = new();
    private readonly Dictionary<IPAddress, int> _tcpPerAddress = [];
    private readonly Lock _tcpCount = new();
    private long _tcpRejected;

    /// <summary>Where the ICE-TCP listener is bound, or null when ICE-TCP is off (<see cref="RelayOptions.TcpPort"/> −1).</summary>
    public IPEndPoint? TcpEndPoint { get; }

    /// <summary>Open ICE-TCP connections.</summary>
    public int TcpConnectionCount => _tcpConnections.Count;

    /// <summary>ICE-TCP connections closed at accept because of the per-address or total cap.</summary>
    public long TcpRejected => Interlocked.Read(ref _tcpRejected);

    // RELAY_TCP_PORT set: that port or fail. Unset: the media port's number, else any free port (the answer's candidate
    // carries whichever was bound, so a local run or a test works either way).
    private Socket? ListenTcp(IPAddress bind)
    {
        var port = _options.EffectiveTcpPort();
        if (port < 0)
        {
            return null;
        }

        try
        {
            return ListenTcp(bind, port);
        }
        catch (SocketException ex) when (_options.TcpPort is null && port != 0 && ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return ListenTcp(bind, 0);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new InvalidOperationException(
                $"ICE-TCP cannot bind {bind}:{port} (RELAY_TCP_PORT): permission denied. A port below 1024 needs root or the " +
                "cap_net_bind_service capability on the executable (the relay image sets it); set RELAY_TCP_PORT to a higher port, or -1 to turn ICE-TCP off.", ex);
        }
    }

    private static Socket ListenTcp(IPAddress bind, int port)
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

    private async Task AcceptTcpAsync(CancellationToken stoppingToken)
    {
        if (_tcpListener is null)
        {
            return;
        }

        LogTcpListening(TcpEndPoint!);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _tcpListener.AcceptAsync(stoppingToken);
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
                Admit(socket);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                socket.Dispose(); // reset between accept and here: nothing to serve
            }
        }
    }

    // Within the caps, a new connection starts reading; beyond them it is closed at once.
    private void Admit(Socket socket)
    {
        if (socket.RemoteEndPoint is not IPEndPoint remote || !TryCountTcp(remote.Address))
        {
            Interlocked.Increment(ref _tcpRejected);
            _metrics.TcpRejected();
            socket.Dispose();
            return;
        }

        IceTcpConnection connection;
        try
        {
            connection = new IceTcpConnection(socket, OnTcpFrame, Environment.TickCount64);
        }
        catch
        {
            UncountTcp(remote.Address);
            throw;
        }

        _tcpConnections[connection] = 0;
        _metrics.TcpConnections(+1);
        _ = RunTcpAsync(connection);
    }

    private async Task RunTcpAsync(IceTcpConnection connection)
    {
        try
        {
            await connection.RunAsync();
        }
        finally
        {
            if (_tcpConnections.TryRemove(connection, out _))
            {
                UncountTcp(connection.Remote.Address);
                _metrics.TcpConnections(-1);
            }

            // The connection that carried a peer's media is gone: so is the peer's path (browsers do not reconnect an
            // ICE-TCP pair; a new offer is the way back).
            if (connection.Peer is { } peer && ReferenceEquals(peer.Path?.Tcp, connection))
            {
                Close(peer, "ice-tcp connection closed");
            }
        }
    }

    private bool TryCountTcp(IPAddress address)
    {
        lock (_tcpCount)
        {
            _tcpPerAddress.TryGetValue(address, out var count);
            if (_tcpConnections.Count >= _options.MaxTcpConnections || count >= _options.MaxTcpConnectionsPerAddress)
            {
                return false;
            }

            _tcpPerAddress[address] = count + 1;
            return true;
        }
    }

    private void UncountTcp(IPAddress address)
    {
        lock (_tcpCount)
        {
            if (_tcpPerAddress.TryGetValue(address, out var count) && count > 1)
            {
                _tcpPerAddress[address] = count - 1;
            }
            else
            {
                _tcpPerAddress.Remove(address);
            }
        }
    }

    /// <summary>Connections accepted from <paramref name="address"/> and still open (tests).</summary>
    public int TcpConnectionsFrom(IPAddress address)
    {
        lock (_tcpCount)
        {
            return _tcpPerAddress.GetValueOrDefault(address);
        }
    }

    // A frame from a connection's receive loop (a pool thread): dispatched like a datagram, under the media loop's lock.
    private void OnTcpFrame(IceTcpConnection connection, Span<byte> frame)
    {
        lock (_loop)
        {
            try
            {
                _input.DatagramArrived = System.Diagnostics.Stopwatch.GetTimestamp();
                _metrics.In(frame.Length);
                switch (PacketDemux.Classify(frame))
                {
                    case PacketKind.Stun:
                        HandleStun(frame, connection.Remote, connection);
                        break;
                    case PacketKind.Dtls:
                        // Only on the peer's selected path, as on UDP: nothing from elsewhere reaches DTLS.
                        if (connection.Peer is { Dtls: { } dtls, IsClosed: false } peer && ReferenceEquals(peer.Path?.Tcp, connection))
                        {
                            dtls.Feed(frame);
                        }
                        else
                        {
                            _metrics.Dropped();
                        }

                        break;
                    case PacketKind.Rtp or PacketKind.Rtcp:
                        if (connection.Peer is { } sender && ReferenceEquals(sender.Path?.Tcp, connection))
                        {
                            HandleSrtp(sender, frame);
                        }
                        else
                        {
                            _metrics.Dropped();
                        }

                        break;
                    default:
                        _metrics.Dropped();
                        break;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _metrics.Dropped();
                LogDispatchFailed(ex, "tcp " + connection.Remote);
            }
            finally
            {
                _fanOut.Flush(); // a TCP publisher's packet fans out to UDP subscribers too
            }
        }
    }

    // Once a second: connections that never authenticated, went silent (no consent check), or whose peer left.
    private void SweepTcp(long now)
    {
        var bindTimeout = (long)_options.TcpBindTimeout.TotalMilliseconds;
        var idleTimeout = (long)_options.ConsentTimeout.TotalMilliseconds;
        foreach (var connection in _tcpConnections.Keys)
        {
            var peer = connection.Peer;
            if ((peer is null && now - connection.OpenedMs > bindTimeout)
                || now - connection.LastReceivedMs > idleTimeout
                || peer is { IsClosed: true })
            {
                connection.Dispose(); // its receive loop ends and RunTcpAsync forgets it
            }
        }
    }

    private void CloseTcp()
    {
        _tcpListener?.Dispose();
        foreach (var connection in _tcpConnections.Keys)
        {
            connection.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ICE-TCP listening on {Endpoint}")]
    private partial void LogTcpListening(IPEndPoint endpoint);
}
