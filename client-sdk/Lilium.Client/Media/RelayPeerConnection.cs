using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc;
using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Net;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sctp;
using Lilium.WebRtc.Sdp;
using Lilium.WebRtc.Srtp;

namespace Lilium.Client.Media;

/// <summary>
/// The SDK's WebRTC connection to the relay, in the client role, composed of the stack's parts: the WHIP/WHEP
/// exchange (<see cref="WhipWhepClient"/>), ICE as the controlling agent towards the relay's ICE-lite
/// (<see cref="IceControllingAgent"/>: checks, nomination, consent freshness), the DTLS client
/// (<see cref="DtlsConnection"/>), SRTP both ways (<see cref="SrtpSession"/>) and an SCTP association for data
/// channels. One UDP socket; each datagram is classified by <see cref="PacketDemux"/> (RFC 7983).
/// </summary>
internal sealed class RelayPeerConnection : IAsyncDisposable
{
    private const int MaxDatagram = 2048;

    private readonly WhipWhepClient _whip;
    private readonly Socket _socket;
    private readonly HashSet<IPEndPoint> _candidates;
    private readonly IceControllingAgent _ice;
    private readonly DtlsConnection _dtls;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sendLock = new();
    private readonly byte[] _sendBuffer = new byte[MaxDatagram];
    private Task _receiveLoop = Task.CompletedTask;
    private Task _iceLoop = Task.CompletedTask;
    private IPEndPoint? _selected;
    private SrtpSession? _outbound;
    private SrtpSession? _inbound;
    private readonly Lock _receiveLock = new();
    private readonly Queue<byte[]> _beforeKeys = new();
    private readonly HeldUntilAttached<(RtpHeader Header, ReadOnlyMemory<byte> Payload)> _rtp = new(HeldPackets);
    private readonly HeldUntilAttached<ReadOnlyMemory<byte>> _rtcp = new(HeldPackets);
    private int _disposed;

    private RelayPeerConnection(WhipWhepClient whip, WhipWhepSession session, IReadOnlyList<IceRemoteCandidate> candidates, IceCredentials local, DtlsCertificate certificate)
    {
        _whip = whip;
        Resource = session.Resource;
        Answer = session.Answer;
        var transport = Answer.Media.First(m => m.Port != 0);
        var remoteIce = new IceCredentials(transport.IceUfrag ?? Answer.IceUfrag!, transport.IcePwd ?? Answer.IcePwd!);
        var family = candidates[0].EndPoint.AddressFamily;
        _candidates = candidates.Select(c => c.EndPoint).ToHashSet();
        _socket = new Socket(family, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        _socket.ReceiveBufferSize = 1024 * 1024;
        _ice = new IceControllingAgent(local, remoteIce, candidates, SendTo);
        _dtls = new DtlsConnection(DtlsRole.Client, certificate, (transport.Fingerprint ?? Answer.Fingerprint)!, SendMedia, handshakeTimeout: TimeSpan.FromSeconds(10));
        var channel = Answer.Media.FirstOrDefault(m => m.Kind == "application" && m.Port != 0);
        if (channel is not null && SdpDataChannelMedia.TryRead(channel, out var sctp))
        {
            // RFC 8832 §6: the DTLS client uses even stream ids.
            DataChannels = new DataChannelTransport(
                new SctpOptions { RemotePort = (ushort)sctp!.RemoteSctpPort, MaxMessageSize = SdpDataChannelMedia.LocalMaxMessageSize },
                packet => _dtls.SendApplicationData(packet),
                useEvenStreamIds: true);
            _dtls.ApplicationDataReceived = DataChannels.Receive;
        }
    }

    /// <summary>The DTLS association (tests send hostile application data through it).</summary>
    internal DtlsConnection Dtls => _dtls;

    /// <summary>The ICE agent (tests read its state).</summary>
    internal IceControllingAgent Ice => _ice;

    /// <summary>The WHIP/WHEP resource (Location) to DELETE when leaving.</summary>
    public Uri Resource { get; }

    public SdpSession Answer { get; }

    /// <summary>The SCTP association, when the relay accepted the data-channel section.</summary>
    public DataChannelTransport? DataChannels { get; }

    /// <summary>
    /// Receives each decrypted RTP packet on the receive loop (the payload is valid only during the call). Packets that
    /// came before this was called — the relay's keyframe replay lands while a viewer still opens its data channel — are
    /// delivered first, in order (up to <see cref="HeldPackets"/>).
    /// </summary>
    public void OnRtp(Action<RtpHeader, ReadOnlyMemory<byte>> handler) => _rtp.Attach(packet => handler(packet.Header, packet.Payload));

    /// <summary>Receives each decrypted RTCP compound packet on the receive loop, the early ones first, like <see cref="OnRtp"/>.</summary>
    public void OnRtcp(Action<ReadOnlyMemory<byte>> handler) => _rtcp.Attach(handler);

    /// <summary>How many early packets of each kind are held until a handler is attached (~1.5 s of 8 Mbit/s video).</summary>
    public const int HeldPackets = 1024;

    /// <summary>Completes when the connection ends (DTLS closed, consent lost, disposed).</summary>
    public Task<string> Closed => _dtls.Closed;

    /// <summary>Offers, connects ICE and DTLS, and (if negotiated) the SCTP association.</summary>
    public static async Task<RelayPeerConnection> ConnectAsync(HttpClient http, Uri endpoint, string grant, ClientOfferSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var certificate = DtlsCertificate.Generate("lilium-client");
        var ice = IceCredentials.Generate();
        var whip = new WhipWhepClient(http, grant);
        var session = await whip.OfferAsync(endpoint, spec.Build(ice, certificate.Fingerprint.ToString()), cancellationToken);
        RelayPeerConnection connection;
        try
        {
            connection = new RelayPeerConnection(whip, session, Candidates(session.Answer, endpoint), ice, certificate);
        }
        catch
        {
            await whip.DeleteAsync(session.Resource);
            throw;
        }

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await connection.StartAsync(deadline.Token);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The answer's UDP candidates of one address family (the relay's ICE-TCP candidates need a TCP client this SDK
    /// does not have yet); an unspecified address means "the host you reached".
    /// </summary>
    internal static IReadOnlyList<IceRemoteCandidate> Candidates(SdpSession answer, Uri endpoint)
    {
        var udp = answer.Media.Where(m => m.Port != 0).SelectMany(m => m.Candidates)
            .Where(c => c.Transport == "udp" && c.Component == 1)
            .Select(c =>
            {
                if (!IPAddress.TryParse(c.Address, out var address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
                {
                    address = Dns.GetHostAddresses(endpoint.Host).First();
                }

                return new IceRemoteCandidate(new IPEndPoint(address, c.Port), c.Priority, c.Foundation);
            })
            .ToList();
        if (udp.Count == 0)
        {
            throw new RelayRejectedException(201, "bad-answer", "The relay's answer has no UDP candidate.");
        }

        var family = udp[0].EndPoint.AddressFamily;
        return udp.Where(c => c.EndPoint.AddressFamily == family).ToList();
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _receiveLoop = StartReceiveThread();
        _iceLoop = Task.Run(() => _ice.RunAsync(_stop.Token), CancellationToken.None);
        try
        {
            Volatile.Write(ref _selected, await _ice.Connected.WaitAsync(cancellationToken));
        }
        catch (IceFailedException ex)
        {
            throw new RelayUnavailableException(ex.Message, ex);
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            throw new RelayUnavailableException($"No ICE answer from the relay's media address {string.Join(", ", _candidates)} in time (UDP blocked, or the relay is down).");
        }

        _ = _ice.Ended.ContinueWith(_ => CloseDtls(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default); // consent lost (RFC 7675 §5.1)
        SrtpKeyingMaterial keys;
        try
        {
            keys = await _dtls.HandshakeAsync(cancellationToken);
        }
        catch (DtlsHandshakeException ex)
        {
            throw new RelayUnavailableException("The DTLS handshake with the relay failed: " + ex.Message, ex);
        }

        lock (_sendLock)
        {
            _outbound = SrtpSession.ForSending(keys);
        }

        // The relay's first media (a late viewer's keyframe replay) can arrive between the relay's last handshake
        // flight and this line; the receive loop held it, and it goes first, before anything that comes after.
        lock (_receiveLock)
        {
            var inbound = SrtpSession.ForReceiving(keys);
            _inbound = inbound;
            while (_beforeKeys.TryDequeue(out var early))
            {
                Unprotect(PacketDemux.Classify(early), early, inbound);
            }
        }

        if (DataChannels is { } channels)
        {
            channels.Connect(); // the relay waits for our INIT
            await channels.Connected.WaitAsync(cancellationToken);
        }
    }

    // The receive loop on a thread of its own, as the relay's media loop (DatagramReceiveThread): an awaited receive
    // resumes on a thread-pool worker, and an app that blocks its pool (or a test host that holds two of a two-core
    // machine's workers) starves it — media then waits in the socket until the pool injects a thread, 0.5–1 s.
    // A malformed datagram must not end the connection: its exception is dropped with it.
    private Task StartReceiveThread() =>
        DatagramReceiveThread.Start(_socket, "lilium-media", MaxDatagram, OnDatagram, onFailed: null, _stop.Token);

    private void OnDatagram(Memory<byte> datagram, IPEndPoint source)
    {
        if (_candidates.Contains(source))
        {
            Dispatch(datagram, source); // only the relay's candidates may talk to us
        }
    }

    private void Dispatch(Memory<byte> packet, IPEndPoint source)
    {
        var datagram = packet.Span;
        var kind = PacketDemux.Classify(datagram);
        if (kind == PacketKind.Stun)
        {
            _ice.Receive(datagram, source);
            return;
        }

        if (!source.Equals(Volatile.Read(ref _selected)))
        {
            return; // DTLS and media only on the nominated pair (RFC 8445 §12.1.1)
        }

        switch (kind)
        {
            case PacketKind.Dtls:
                _dtls.Feed(datagram);
                break;
            case PacketKind.Rtcp or PacketKind.Rtp:
                lock (_receiveLock)
                {
                    if (_inbound is { } inbound)
                    {
                        Unprotect(kind, packet, inbound);
                    }
                    else if (_beforeKeys.Count < HeldPackets)
                    {
                        _beforeKeys.Enqueue(datagram.ToArray());
                    }
                }

                break;
        }
    }

    /// <summary>Decrypts one SRTP/SRTCP datagram in place and hands it on; on the receive loop, under the receive lock.</summary>
    private void Unprotect(PacketKind kind, Memory<byte> packet, SrtpSession inbound)
    {
        var buffer = packet.Span;
        if (kind == PacketKind.Rtcp)
        {
            if (inbound.TryUnprotectRtcp(buffer, buffer.Length, out var plainRtcp))
            {
                _rtcp.Deliver(buffer[..plainRtcp].ToArray(), static owned => owned);
            }
        }
        else if (inbound.TryUnprotectRtp(buffer, buffer.Length, out var plain) && RtpHeader.TryParse(buffer[..plain], out var header))
        {
            _rtp.Deliver((header, packet.Slice(header.HeaderLength, header.PayloadLength)), static early => (early.Header, early.Payload.ToArray()));
        }
    }

    /// <summary>Protects and sends one RTP packet (header + payload, plaintext); false before DTLS completed or after close.</summary>
    public bool SendRtp(ReadOnlySpan<byte> packet, Span<byte> protectedCopy, out int protectedLength)
    {
        protectedLength = 0;
        lock (_sendLock)
        {
            if (_outbound is null || Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            packet.CopyTo(_sendBuffer);
            if (!_outbound.TryProtectRtp(_sendBuffer, packet.Length, out protectedLength))
            {
                return false;
            }

            _sendBuffer.AsSpan(0, protectedLength).CopyTo(protectedCopy);
            SendMedia(_sendBuffer.AsSpan(0, protectedLength));
            return true;
        }
    }

    /// <summary>Protects and sends one RTCP compound packet (plaintext).</summary>
    public bool SendRtcp(ReadOnlySpan<byte> packet)
    {
        lock (_sendLock)
        {
            if (_outbound is null || Volatile.Read(ref _disposed) != 0)
            {
                return false;
            }

            packet.CopyTo(_sendBuffer);
            if (!_outbound.TryProtectRtcp(_sendBuffer, packet.Length, out var length))
            {
                return false;
            }

            SendMedia(_sendBuffer.AsSpan(0, length));
            return true;
        }
    }

    /// <summary>Sends an already protected datagram again (a NACKed packet from the send cache).</summary>
    public void Resend(ReadOnlySpan<byte> protectedPacket) => SendMedia(protectedPacket);

    // DTLS, SRTP and SRTCP go to the nominated pair only, and only while ICE holds consent (RFC 7675 §5.2).
    private void SendMedia(ReadOnlySpan<byte> datagram)
    {
        if (Volatile.Read(ref _selected) is { } selected && _ice.State == IceAgentState.Connected)
        {
            SendTo(datagram, selected);
        }
    }

    private void SendTo(ReadOnlySpan<byte> datagram, IPEndPoint remote)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void CloseDtls()
    {
        try
        {
            _dtls.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }
    }

    /// <summary>Leaves: DELETE of the WHIP/WHEP resource (best effort), DTLS close_notify, socket closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _whip.DeleteAsync(Resource);
        DataChannels?.Dispose();
        CloseDtls();
        _ice.Close("closed");
        await _stop.CancelAsync();
        _socket.Dispose();
        await Task.WhenAll(_receiveLoop, _iceLoop).ConfigureAwait(false);
        lock (_sendLock)
        {
            _outbound?.Dispose();
            _inbound?.Dispose();
        }

        _stop.Dispose();
    }
}
