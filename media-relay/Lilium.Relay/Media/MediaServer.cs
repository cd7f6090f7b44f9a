using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Lilium.Relay.Input;
using Lilium.Relay.Observability;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Stun;
using Microsoft.Extensions.Options;
using Lilium.WebRtc;

namespace Lilium.Relay.Media;

/// <summary>
/// The relay's single UDP socket and its media loop. Each datagram is classified by its first
/// byte (RFC 7983 §7): STUN → ICE-lite answers and nomination; DTLS → the peer's association;
/// RTP/RTCP → SRTP, then the SFU. Peers are found by our ICE ufrag on the first STUN check and by
/// the remote address afterwards; anything from an unknown address other than STUN is dropped.
/// ICE-TCP frames (MediaServer.Tcp.cs) take the same path, one frame at a time, under the same lock
/// as the datagrams (<see cref="_loop"/>), so the SFU state still sees one packet at a time.
/// Nothing a peer sends can throw out of it.
/// </summary>
internal sealed partial class MediaServer : BackgroundService
{
    private const int MaxDatagram = 2048;

    private readonly Socket _socket;
    private readonly SessionRegistry _registry;
    private readonly DtlsCertificate _certificate;
    private readonly RelayMetrics _metrics;
    private readonly InputRouter _input;
    private readonly RelayOptions _options;
    private readonly ILogger<MediaServer> _log;
    private readonly UdpBatchSender _fanOut;
    private readonly Random _loss = new();
    private readonly ConcurrentDictionary<IPEndPoint, MediaPeer> _moveProbes = new();

    // Our ICE tie-breaker (RFC 8445 §7.1.1) in the checks we send (move probes); as the controlled side it never wins.
    private readonly ulong _tieBreaker = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private readonly DepartureQueue _departures;

    // Held while one datagram or ICE-TCP frame is dispatched and its fan-out flushed: the SFU state, the inbound SRTP
    // contexts and the batch sender belong to whoever holds it. Uncontended (UDP only) it costs the media thread two
    // atomic operations per datagram.
    private readonly Lock _loop = new();

    public MediaServer(SessionRegistry registry, DtlsCertificate certificate, RelayMetrics metrics, InputRouter input, IOptions<RelayOptions> options, ILogger<MediaServer> log, DepartureQueue departures)
    {
        _departures = departures;
        _registry = registry;
        _certificate = certificate;
        _metrics = metrics;
        _input = input;
        _options = options.Value;
        _log = log;
        var bind = _options.BindIPAddress();
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind, _options.MediaPort));
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.SendBufferSize = 4 * 1024 * 1024;
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _fanOut = new UdpBatchSender(_socket, flushed: _metrics.Out, useSendMmsg: _options.SendMmsg);
        _tcpListener = ListenTcp(bind);
        TcpEndPoint = (IPEndPoint?)_tcpListener?.LocalEndPoint;
    }

    /// <summary>Where the socket is bound (the real port when 0 was configured).</summary>
    public IPEndPoint LocalEndPoint { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var housekeeping = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var timers = Housekeeping(housekeeping, stoppingToken);
        var accepting = AcceptTcpAsync(stoppingToken);
        LogListening(LocalEndPoint);
        var loop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                ReceiveLoop(stoppingToken);
                loop.SetResult();
            }
            catch (Exception ex)
            {
                loop.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "relay-media",
        };
        thread.Start();
        await loop.Task;
        await timers;
        await accepting;
    }

    /// <summary>
    /// The media loop on a thread of its own, blocked in the kernel's receive: a datagram wakes this thread directly.
    /// An awaited receive went through the runtime's epoll thread and then a thread-pool worker — two wake-ups per
    /// datagram, each a chance to wait for the core (docs/relay.md, "Media thread").
    /// </summary>
    private void ReceiveLoop(CancellationToken stoppingToken)
    {
        var buffer = new byte[MaxDatagram];
        EndPoint any = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        _socket.ReceiveTimeout = 250; // how often a blocked receive looks at the stopping token
        while (!stoppingToken.IsCancellationRequested)
        {
            int length;
            var remote = any;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, ref remote);
            }
            catch (SocketException)
            {
                continue; // the receive timeout (look at the token again), or e.g. ICMP port unreachable as ConnectionReset
            }
            catch (ObjectDisposedException)
            {
                break;
            }

            lock (_loop)
            {
                try
                {
                    Dispatch(buffer, length, (IPEndPoint)remote);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    _metrics.Dropped();
                    LogDispatchFailed(ex, remote.ToString() ?? "?");
                }
                finally
                {
                    _fanOut.Flush(); // what this datagram fanned out (media, retransmissions) leaves in one sendmmsg
                }
            }
        }
    }

    public override void Dispose()
    {
        CloseTcp();
        _fanOut.Dispose();
        _socket.Dispose();
        base.Dispose();
    }

    private void Dispatch(byte[] buffer, int length, IPEndPoint remote)
    {
        _input.DatagramArrived = System.Diagnostics.Stopwatch.GetTimestamp();
        _metrics.In(length);
        switch (PacketDemux.Classify(buffer.AsSpan(0, length)))
        {
            case PacketKind.Stun:
                HandleStun(buffer.AsSpan(0, length), remote, null);
                break;
            case PacketKind.Dtls:
                var peer = _registry.FindByEndpoint(remote);
                if (peer is { Dtls: { } dtls } && !peer.IsClosed)
                {
                    dtls.Feed(buffer.AsSpan(0, length));
                }
                else
                {
                    _metrics.Dropped();
                }

                break;
            case PacketKind.Rtp or PacketKind.Rtcp:
                if (_registry.FindByEndpoint(remote) is { } sender)
                {
                    HandleSrtp(sender, buffer.AsSpan(0, length));
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

    // ICE-lite (RFC 8445 §2.5, §7.3): route a Binding request by our ufrag, let the peer's
    // IceLiteAgent answer it, and bind the 5-tuple (or, over ICE-TCP, the connection it came on).
    // Unknown ufrags get no answer (no reflection).
    private void HandleStun(ReadOnlySpan<byte> datagram, IPEndPoint remote, IceTcpConnection? tcp)
    {
        if (tcp is null && TryCompleteMoveProbe(datagram, remote))
        {
            return;
        }

        if (!IceLiteAgent.TryReadLocalUfrag(datagram, out var ufrag))
        {
            _metrics.Dropped(); // malformed, or not a Binding request with USERNAME (indications are keepalives)
            return;
        }

        var peer = _registry.FindByUfrag(ufrag);
        if (peer is null || peer.IsClosed || (tcp?.Peer is { } owner && !ReferenceEquals(owner, peer)))
        {
            _metrics.Dropped(); // unknown, gone, or another peer's check on a connection that already belongs to one
            return;
        }

        Span<byte> response = stackalloc byte[IceLiteAgent.MaxResponseSize];
        var now = Environment.TickCount64;
        var outcome = peer.Ice.Handle(datagram, remote, now, response, out var length);
        if (outcome is IceCheckOutcome.Malformed or IceCheckOutcome.Ignored)
        {
            _metrics.Dropped();
            return;
        }

        if (outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated)
        {
            peer.LastConsentMs = now;
            if (tcp is not null)
            {
                tcp.Peer = peer; // the connection's first authenticated check binds it to this peer for good
            }

            var path = peer.Path;
            var current = path is not null && (tcp is null ? path.Tcp is null && remote.Equals(path.Remote) : ReferenceEquals(path.Tcp, tcp));
            if (path is not null && !current && tcp is null && peer.Dtls is { IsEstablished: true })
            {
                // After DTLS the media address is fixed: an authenticated check can be replayed from any
                // address, so a nomination from a new one moves the pair only once that address answers
                // a check of ours (return routability; no spoofed move, no amplification to a victim).
                // A TCP connection needs no probe: its handshake already proved the address answers.
                if (outcome == IceCheckOutcome.Nominated)
                {
                    ProbeNewAddress(peer, remote);
                }
            }
            else if (path is null || (outcome == IceCheckOutcome.Nominated && !current))
            {
                // The first valid check already gives a usable pair (regular nomination follows it);
                // USE-CANDIDATE from another address moves the pair (RFC 8445 §7.3.2, §8.2).
                if (tcp is null)
                {
                    _registry.BindEndpoint(peer, remote);
                }
                else
                {
                    _registry.BindTcp(peer, tcp);
                }

                peer.MarkConnected();
                LogNominated(peer.Id, peer.Path!);
            }
        }

        if (tcp is null)
        {
            SendRaw(response[..length], remote);
        }
        else if (tcp.TrySend(response[..length]))
        {
            _metrics.Out(length);
        }
        if (outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated && peer.Dtls is null)
        {
            StartDtls(peer);
        }
    }

    // One outstanding probe per peer: the address it went to and its transaction ID. The probe is a connectivity check
    // keyed with the peer's own ICE password (RFC 8445 §7.2.2), so only the peer can answer it.
    private void ProbeNewAddress(MediaPeer peer, IPEndPoint candidate)
    {
        if (peer.RemoteIce is not { } remote)
        {
            return; // no password to authenticate a probe with: the address stays where DTLS found it
        }

        var transactionId = IceCheck.NewTransactionId();
        var previous = peer.MoveProbe;
        if (previous is not null)
        {
            _moveProbes.TryRemove(new KeyValuePair<IPEndPoint, MediaPeer>(previous.Candidate, peer));
        }

        peer.MoveProbe = new AddressMoveProbe(candidate, transactionId, Environment.TickCount64);
        _moveProbes[candidate] = peer;
        Span<byte> request = stackalloc byte[IceCheck.MaxRequestSize];
        var length = IceCheck.WriteRequest(request, transactionId, remote, peer.LocalUfrag, controlling: false, _tieBreaker, IceCandidate.HostPriority, useCandidate: false);
        SendRaw(request[..length], candidate);
    }

    // Only the peer's authenticated success response (its password's MESSAGE-INTEGRITY, the probe's transaction ID) from
    // the probed address within the connect timeout moves the pair; a replayed check from a spoofed address cannot
    // produce one, and neither can the victim it names.
    private bool TryCompleteMoveProbe(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        if (!StunMessage.TryParse(datagram, out var message)
            || message.Type is not (StunMessageType.BindingSuccess or StunMessageType.BindingError))
        {
            return false;
        }

        if (_moveProbes.TryGetValue(remote, out var peer)
            && peer.MoveProbe is { } probe
            && peer.RemoteIce is { } credentials
            && probe.Candidate.Equals(remote)
            && IceCheck.IsAuthenticatedSuccess(datagram, probe.TransactionId, credentials)
            && Environment.TickCount64 - probe.SentMs <= (long)_options.ConnectTimeout.TotalMilliseconds
            && !peer.IsClosed)
        {
            _moveProbes.TryRemove(new KeyValuePair<IPEndPoint, MediaPeer>(remote, peer));
            peer.MoveProbe = null;
            _registry.BindEndpoint(peer, remote);
            LogNominated(peer.Id, peer.Path!);
        }
        else
        {
            _metrics.Dropped();
        }

        return true;
    }

    /// <summary>Sends one packet on the peer's path: a datagram to its UDP address, or a frame on its ICE-TCP connection.</summary>
    private void SendTo(PeerPath path, ReadOnlySpan<byte> packet)
    {
        if (path.Tcp is not { } tcp)
        {
            SendRaw(packet, path.Remote);
        }
        else if (tcp.TrySend(packet))
        {
            _metrics.Out(packet.Length);
        }
    }

    private void SendRaw(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
            _metrics.Out(datagram.Length);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void StartDtls(MediaPeer peer)
    {
        var dtls = new DtlsConnection(
            DtlsRole.Server,
            _certificate,
            peer.RemoteFingerprint,
            datagram =>
            {
                if (peer.Path is { } path)
                {
                    SendTo(path, datagram);
                }
            },
            null, // our preference: AEAD_AES_128_GCM, then AES_CM_128_HMAC_SHA1_80
            _options.ConnectTimeout);
        peer.Dtls = dtls;
        _input.Attach(peer, dtls);
        _ = CompleteHandshake(peer, dtls);
    }

    private async Task CompleteHandshake(MediaPeer peer, DtlsConnection dtls)
    {
        try
        {
            var keys = await dtls.HandshakeAsync();
            if (!peer.Secure(keys))
            {
                return;
            }

            LogSecured(peer.Id, peer.Role, keys.Profile);
            _ = dtls.Closed.ContinueWith(t => Close(peer, t.Result), TaskScheduler.Default);
            if (peer.Role == PeerRole.Subscriber)
            {
                RequestKeyframes(peer.Session, force: true);
            }
        }
        catch (DtlsHandshakeException ex)
        {
            LogHandshakeFailed(peer.Id, ex.Message);
            Close(peer, ex.Message);
        }
    }

    /// <summary>Tears a peer down (idempotent): DTLS close_notify, forget its addresses and ufrag.</summary>
    public void Close(MediaPeer peer, string reason)
    {
        if (!peer.TryClose(reason))
        {
            return;
        }

        _input.Detach(peer);
        _registry.Remove(peer);
        LogClosed(peer.Id, peer.Role, reason);

        // A viewer who left on their own (and has no other peer here) is reported, so the control plane frees the place.
        // Not while draining: the control plane moves a draining relay's sessions (relay fleet), and its viewers leave
        // it to subscribe on the new owner — still in the session.
        if (peer.Role == PeerRole.Subscriber && DepartureQueue.IsDeparture(reason) && !_registry.IsDraining
            && !peer.Session.Subscribers.Any(s => s.User == peer.User && !s.IsClosed))
        {
            _departures.Report(peer.Session.Id, peer.User);
        }

        // A departing publisher ends the relay session: its viewers are closed (they watch nothing any more and would
        // otherwise hold places and state until their consent timed out).
        if (peer.Role == PeerRole.Publisher)
        {
            foreach (var subscriber in peer.Session.Subscribers)
            {
                Close(subscriber, "publisher-gone");
            }
        }
    }

    private async Task Housekeeping(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Environment.TickCount64;
                SweepTcp(now);
                foreach (var peer in _registry.Peers)
                {
                    try
                    {
                        if (peer.State != PeerState.Secured && now - peer.CreatedMs > _options.ConnectTimeout.TotalMilliseconds)
                        {
                            Close(peer, "connect timeout (ICE + DTLS not completed)");
                        }
                        else if (now - peer.LastConsentMs > _options.ConsentTimeout.TotalMilliseconds)
                        {
                            Close(peer, "consent expired (no STUN check, RFC 7675)");
                        }
                        else if (peer is { State: PeerState.Secured, Role: PeerRole.Publisher })
                        {
                            SendReceiverReports(peer);
                            SendBitrateEstimate(peer);
                        }
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        LogDispatchFailed(ex, peer.Id.ToString());
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "media socket listening on {Endpoint}")]
    private partial void LogListening(IPEndPoint endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "datagram from {Remote} could not be processed")]
    private partial void LogDispatchFailed(Exception ex, string remote);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} nominated {Path}")]
    private partial void LogNominated(Guid peerId, PeerPath path);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} ({Role}) secured with {Profile}")]
    private partial void LogSecured(Guid peerId, PeerRole role, SrtpProtectionProfile profile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "peer {PeerId} DTLS handshake failed: {Reason}")]
    private partial void LogHandshakeFailed(Guid peerId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} ({Role}) closed: {Reason}")]
    private partial void LogClosed(Guid peerId, PeerRole role, string reason);
}
