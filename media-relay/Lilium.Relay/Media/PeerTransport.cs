using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Lilium.Relay.Input;
using Lilium.Relay.Observability;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Stun;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Media;

/// <summary>
/// A peer's transport, from its first check to its close: ICE-lite answers and nomination (binding the UDP 5-tuple or
/// the ICE-TCP connection), the return-routability probe before a secured peer's address moves, the DTLS association
/// and the SRTP contexts it yields, consent and connect timeouts, and teardown. It owns the per-peer transport state
/// (path, probe, DTLS, SRTP keys); what flows once a peer is secured belongs to the <see cref="SfuForwarder"/>, which it
/// tells when a subscriber is secured.
/// </summary>
internal sealed partial class PeerTransport(
    SessionRegistry registry,
    DtlsCertificate certificate,
    IPacketSender sender,
    SfuForwarder forwarder,
    InputRouter input,
    DepartureQueue departures,
    RelayMetrics metrics,
    IOptions<RelayOptions> options,
    ILogger<PeerTransport> log)
{
    private readonly RelayOptions _options = options.Value;
    private readonly ILogger<PeerTransport> _log = log;
    private readonly ConcurrentDictionary<IPEndPoint, MediaPeer> _moveProbes = new();

    // Our ICE tie-breaker (RFC 8445 §7.1.1) in the checks we send (move probes); as the controlled side it never wins.
    private readonly ulong _tieBreaker = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));

    /// <summary>
    /// ICE-lite (RFC 8445 §2.5, §7.3): routes a Binding request by our ufrag, lets the peer's IceLiteAgent answer it, and
    /// binds the 5-tuple (or, over ICE-TCP, <paramref name="tcp"/>, the connection it came on). Unknown ufrags get no
    /// answer (no reflection). On UDP, a Binding response may be the answer to a move probe.
    /// </summary>
    public void OnStun(ReadOnlySpan<byte> datagram, IPEndPoint remote, IceTcpConnection? tcp)
    {
        if (tcp is null && TryCompleteMoveProbe(datagram, remote))
        {
            return;
        }

        if (!IceLiteAgent.TryReadLocalUfrag(datagram, out var ufrag))
        {
            metrics.Dropped(); // malformed, or not a Binding request with USERNAME (indications are keepalives)
            return;
        }

        var peer = registry.FindByUfrag(ufrag);
        if (peer is null || peer.IsClosed || (tcp?.Peer is { } owner && !ReferenceEquals(owner, peer)))
        {
            metrics.Dropped(); // unknown, gone, or another peer's check on a connection that already belongs to one
            return;
        }

        Span<byte> response = stackalloc byte[IceLiteAgent.MaxResponseSize];
        var now = Environment.TickCount64;
        var outcome = peer.Ice.Handle(datagram, remote, now, response, out var length);
        if (outcome is IceCheckOutcome.Malformed or IceCheckOutcome.Ignored)
        {
            metrics.Dropped();
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
                    registry.BindEndpoint(peer, remote);
                }
                else
                {
                    registry.BindTcp(peer, tcp);
                }

                peer.MarkConnected();
                LogNominated(peer.Id, peer.Path!);
            }
        }

        if (tcp is null)
        {
            sender.SendDatagram(remote, response[..length]);
        }
        else if (tcp.TrySend(response[..length]))
        {
            metrics.Out(length);
        }

        if (outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated && peer.Dtls is null)
        {
            StartDtls(peer);
        }
    }

    /// <summary>A DTLS record from the peer's selected path.</summary>
    public void OnDtls(MediaPeer peer, ReadOnlySpan<byte> record)
    {
        if (peer is { Dtls: { } dtls, IsClosed: false })
        {
            dtls.Feed(record);
        }
        else
        {
            metrics.Dropped();
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
        sender.SendDatagram(candidate, request[..length]);
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
            registry.BindEndpoint(peer, remote);
            LogNominated(peer.Id, peer.Path!);
        }
        else
        {
            metrics.Dropped();
        }

        return true;
    }

    private void StartDtls(MediaPeer peer)
    {
        var dtls = new DtlsConnection(
            DtlsRole.Server,
            certificate,
            peer.RemoteFingerprint,
            datagram =>
            {
                if (peer.Path is { } path)
                {
                    sender.Send(path, datagram);
                }
            },
            null, // our preference: AEAD_AES_128_GCM, then AES_CM_128_HMAC_SHA1_80
            _options.ConnectTimeout);
        peer.Dtls = dtls;
        input.Attach(peer, dtls);
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
                forwarder.OnSubscriberSecured(peer);
            }
        }
        catch (DtlsHandshakeException ex)
        {
            LogHandshakeFailed(peer.Id, ex.Message);
            Close(peer, ex.Message);
        }
    }

    /// <summary>
    /// Once a second per peer: closes it when ICE + DTLS did not complete within the connect timeout, or its consent
    /// expired (no authenticated check, RFC 7675). True when the peer is still live.
    /// </summary>
    public bool CheckLiveness(MediaPeer peer, long now)
    {
        if (peer.State != PeerState.Secured && now - peer.CreatedMs > _options.ConnectTimeout.TotalMilliseconds)
        {
            Close(peer, "connect timeout (ICE + DTLS not completed)");
            return false;
        }

        if (now - peer.LastConsentMs > _options.ConsentTimeout.TotalMilliseconds)
        {
            Close(peer, "consent expired (no STUN check, RFC 7675)");
            return false;
        }

        return true;
    }

    /// <summary>
    /// Tears a peer down (idempotent): DTLS close_notify, forget its addresses and ufrag; then completes the peer's
    /// <see cref="MediaPeer.Closed"/>, so an observer never sees a closed peer the relay still routes to.
    /// </summary>
    public void Close(MediaPeer peer, string reason)
    {
        if (!peer.TryClose(reason))
        {
            return;
        }

        try
        {
            input.Detach(peer);
            registry.Remove(peer);
            LogClosed(peer.Id, peer.Role, reason);

            // A viewer who left on their own (and has no other peer here) is reported, so the control plane frees the
            // place. Not while draining: the control plane moves a draining relay's sessions (relay fleet), and its
            // viewers leave it to subscribe on the new owner — still in the session.
            if (peer.Role == PeerRole.Subscriber && DepartureQueue.IsDeparture(reason) && !registry.IsDraining
                && !peer.Session.Subscribers.Any(s => s.User == peer.User && !s.IsClosed))
            {
                departures.Report(peer.Session.Id, peer.User, peer.GrantIssuedMs);
            }

            // A departing publisher ends the relay session: its viewers are closed (they watch nothing any more and
            // would otherwise hold places and state until their consent timed out).
            if (peer.Role == PeerRole.Publisher)
            {
                foreach (var subscriber in peer.Session.Subscribers)
                {
                    Close(subscriber, "publisher-gone");
                }
            }
        }
        finally
        {
            peer.CompleteClose(reason);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} nominated {Path}")]
    private partial void LogNominated(Guid peerId, PeerPath path);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} ({Role}) secured with {Profile}")]
    private partial void LogSecured(Guid peerId, PeerRole role, SrtpProtectionProfile profile);

    [LoggerMessage(Level = LogLevel.Warning, Message = "peer {PeerId} DTLS handshake failed: {Reason}")]
    private partial void LogHandshakeFailed(Guid peerId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} ({Role}) closed: {Reason}")]
    private partial void LogClosed(Guid peerId, PeerRole role, string reason);
}
