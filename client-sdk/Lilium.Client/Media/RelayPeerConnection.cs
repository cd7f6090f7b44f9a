using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sctp;
using Lilium.WebRtc.Sdp;
using Lilium.WebRtc.Srtp;
using Lilium.WebRtc.Stun;
using Lilium.WebRtc;

namespace Lilium.Client.Media;

/// <summary>
/// The SDK's WebRTC connection to the relay, in the client role: WHIP/WHEP offer and answer over
/// HTTP, ICE as the controlling agent towards the relay's ICE-lite (checks with USE-CANDIDATE,
/// consent refresh every 5 s, RFC 7675), DTLS client, SRTP both ways, and an SCTP association for
/// data channels. One UDP socket; datagrams are demultiplexed by first byte (RFC 7983).
/// </summary>
internal sealed class RelayPeerConnection : IAsyncDisposable
{
    private const int MaxDatagram = 2048;
    private static readonly TimeSpan ConsentInterval = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly string _grant;
    private readonly Socket _socket;
    private readonly IPEndPoint _remote;
    private readonly IceCredentials _local;
    private readonly IceLiteAgent _responder;
    private readonly IceCredentials _remoteIce;
    private readonly DtlsConnection _dtls;
    private readonly ulong _tieBreaker = BinaryPrimitives.ReadUInt64BigEndian(RandomNumberGenerator.GetBytes(8));
    private readonly ConcurrentDictionary<UInt128, TaskCompletionSource<bool>> _checks = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _sendLock = new();
    private readonly byte[] _sendBuffer = new byte[MaxDatagram];
    private Task _receiveLoop = Task.CompletedTask;
    private Task _consentLoop = Task.CompletedTask;
    private SrtpSession? _outbound;
    private SrtpSession? _inbound;
    private int _disposed;

    private RelayPeerConnection(HttpClient http, string grant, Uri resource, SdpSession answer, IPEndPoint remote, IceCredentials local, DtlsCertificate certificate)
    {
        _http = http;
        _grant = grant;
        Resource = resource;
        Answer = answer;
        _remote = remote;
        _local = local;
        var transport = answer.Media.First(m => m.Port != 0);
        _remoteIce = new IceCredentials(transport.IceUfrag ?? answer.IceUfrag!, transport.IcePwd ?? answer.IcePwd!);
        _responder = new IceLiteAgent(local, _remoteIce.Ufrag);
        _socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0));
        _socket.ReceiveBufferSize = 1024 * 1024;
        _dtls = new DtlsConnection(DtlsRole.Client, certificate, (transport.Fingerprint ?? answer.Fingerprint)!, SendRaw, handshakeTimeout: TimeSpan.FromSeconds(10));
        var channel = answer.Media.FirstOrDefault(m => m.Kind == "application" && m.Port != 0);
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

    /// <summary>The WHIP/WHEP resource (Location) to DELETE when leaving.</summary>
    public Uri Resource { get; }

    public SdpSession Answer { get; }

    /// <summary>The SCTP association, when the relay accepted the data-channel section.</summary>
    public DataChannelTransport? DataChannels { get; }

    /// <summary>Called on the receive loop with each decrypted RTP packet.</summary>
    public Action<RtpHeader, ReadOnlyMemory<byte>>? RtpReceived { get; set; }

    /// <summary>Called on the receive loop with each decrypted RTCP compound packet.</summary>
    public Action<ReadOnlyMemory<byte>>? RtcpReceived { get; set; }

    /// <summary>Completes when the connection ends (DTLS closed, consent lost, disposed).</summary>
    public Task<string> Closed => _dtls.Closed;

    /// <summary>Offers, connects ICE and DTLS, and (if negotiated) the SCTP association.</summary>
    public static async Task<RelayPeerConnection> ConnectAsync(HttpClient http, Uri endpoint, string grant, ClientOfferSpec spec, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var certificate = DtlsCertificate.Generate("lilium-client");
        var ice = IceCredentials.Generate();
        var offer = spec.Build(ice, certificate.Fingerprint.ToString());
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(offer, Encoding.UTF8, "application/sdp") };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new RelayUnavailableException($"The relay at {endpoint.GetLeftPart(UriPartial.Authority)} cannot be reached: {ex.Message}", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw RelayRejectedException.From(response, body);
            }

            if (!SdpParser.TryParse(body, out var answer, out var error))
            {
                throw new RelayRejectedException((int)response.StatusCode, "bad-answer", "The relay's answer is not valid SDP: " + error);
            }

            var location = response.Headers.Location ?? throw new RelayRejectedException(201, "bad-answer", "The relay's answer has no Location.");
            var resource = location.IsAbsoluteUri ? location : new Uri(endpoint, location);
            var remote = Candidate(answer!, endpoint);
            var connection = new RelayPeerConnection(http, grant, resource, answer!, remote, ice, certificate);
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
    }

    // The relay announces one host candidate; an unspecified address means "the host you reached".
    private static IPEndPoint Candidate(SdpSession answer, Uri endpoint)
    {
        var candidate = answer.Media.Where(m => m.Port != 0).SelectMany(m => m.Candidates).FirstOrDefault(c => c.Transport.Equals("udp", StringComparison.OrdinalIgnoreCase))
            ?? throw new RelayRejectedException(201, "bad-answer", "The relay's answer has no UDP candidate.");
        if (!IPAddress.TryParse(candidate.Address, out var address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            address = Dns.GetHostAddresses(endpoint.Host).First();
        }

        return new IPEndPoint(address, candidate.Port);
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        _receiveLoop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
        await CheckAsync(useCandidate: true, cancellationToken);
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
            _inbound = SrtpSession.ForReceiving(keys);
        }

        _consentLoop = Task.Run(ConsentLoopAsync, CancellationToken.None);
        if (DataChannels is { } channels)
        {
            channels.Connect(); // the relay waits for our INIT
            await channels.Connected.WaitAsync(cancellationToken);
        }
    }

    // ICE connectivity check (RFC 8445 §7.2.4, controlling): retransmitted every 100 ms until answered.
    private async Task CheckAsync(bool useCandidate, CancellationToken cancellationToken)
    {
        var transaction = RandomNumberGenerator.GetBytes(StunMessage.TransactionIdSize);
        var key = Key(transaction);
        var answered = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _checks[key] = answered;
        var request = new byte[IceCheck.MaxRequestSize];
        var length = WriteCheck(request, transaction, useCandidate);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                SendRaw(request.AsSpan(0, length));
                var delay = Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * (attempt + 1), 500)), cancellationToken);
                if (await Task.WhenAny(answered.Task, delay) == answered.Task)
                {
                    if (!await answered.Task)
                    {
                        throw new RelayUnavailableException("The relay refused our ICE check (wrong credentials or unknown peer).");
                    }

                    return;
                }

                await delay; // throws when cancelled (the connect timeout)
            }
        }
        catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
        {
            throw new RelayUnavailableException($"No ICE answer from the relay's media address {_remote} (UDP blocked, or the relay is down).");
        }
        finally
        {
            _checks.TryRemove(key, out _);
        }
    }

    private int WriteCheck(Span<byte> buffer, ReadOnlySpan<byte> transaction, bool useCandidate) =>
        IceCheck.WriteRequest(buffer, transaction, _remoteIce, _local.Ufrag, controlling: true, _tieBreaker, IceCandidate.HostPriority, useCandidate);

    private async Task ConsentLoopAsync()
    {
        using var timer = new PeriodicTimer(ConsentInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                attempt.CancelAfter(TimeSpan.FromSeconds(10));
                try
                {
                    await CheckAsync(useCandidate: false, attempt.Token);
                }
                catch (RelayUnavailableException)
                {
                    _dtls.Close(); // consent lost (RFC 7675 §5.1)
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[MaxDatagram];
        EndPoint any = new IPEndPoint(_remote.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (!_remote.Equals(received.RemoteEndPoint) || received.ReceivedBytes < 1)
            {
                continue; // only the relay's media address may talk to us
            }

            try
            {
                Dispatch(buffer, received.ReceivedBytes);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A malformed datagram must not end the connection.
            }
        }
    }

    // A full agent answers the checks sent to it (RFC 8445 §7.3), as a lite one does: the relay checks a new address
    // of ours (after a NAT rebinding) with our password before it moves media there, and this is the answer it needs.
    private void AnswerCheck(ReadOnlySpan<byte> datagram)
    {
        Span<byte> response = stackalloc byte[IceLiteAgent.MaxResponseSize];
        var outcome = _responder.Handle(datagram, _remote, Environment.TickCount64, response, out var length);
        if (outcome is IceCheckOutcome.Accepted or IceCheckOutcome.Nominated or IceCheckOutcome.Rejected)
        {
            SendRaw(response[..length]);
        }
    }

    private void Dispatch(byte[] buffer, int length)
    {
        var datagram = buffer.AsSpan(0, length);
        switch (PacketDemux.Classify(datagram))
        {
            case PacketKind.Stun:
                if (StunMessage.TryParse(datagram, out var message)
                    && message.Type is StunMessageType.BindingSuccess or StunMessageType.BindingError
                    && _checks.TryGetValue(Key(message.TransactionId), out var waiter))
                {
                    waiter.TrySetResult(message.Type == StunMessageType.BindingSuccess && message.VerifyMessageIntegrity(_remoteIce.Key));
                }
                else
                {
                    AnswerCheck(datagram);
                }

                break;
            case PacketKind.Dtls:
                _dtls.Feed(datagram);
                break;
            case PacketKind.Rtp or PacketKind.Rtcp:
                var inbound = Volatile.Read(ref _inbound);
                if (inbound is null)
                {
                    return;
                }

                if (PacketDemux.Classify(datagram) == PacketKind.Rtcp)
                {
                    if (inbound.TryUnprotectRtcp(buffer, length, out var plain))
                    {
                        RtcpReceived?.Invoke(buffer.AsSpan(0, plain).ToArray());
                    }
                }
                else if (inbound.TryUnprotectRtp(buffer, length, out var plain) && RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header))
                {
                    RtpReceived?.Invoke(header, buffer.AsMemory(header.HeaderLength, header.PayloadLength));
                }

                break;
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
            SendRaw(_sendBuffer.AsSpan(0, protectedLength));
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

            SendRaw(_sendBuffer.AsSpan(0, length));
            return true;
        }
    }

    /// <summary>Sends an already protected datagram again (a NACKed packet from the send cache).</summary>
    public void Resend(ReadOnlySpan<byte> protectedPacket) => SendRaw(protectedPacket);

    private void SendRaw(ReadOnlySpan<byte> datagram)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, _remote);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static UInt128 Key(ReadOnlySpan<byte> transaction)
    {
        Span<byte> padded = stackalloc byte[16];
        transaction.CopyTo(padded);
        return BinaryPrimitives.ReadUInt128BigEndian(padded);
    }

    /// <summary>Leaves: DELETE of the WHIP/WHEP resource (best effort), DTLS close_notify, socket closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, Resource);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _grant);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            using var _ = await _http.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
        }

        DataChannels?.Dispose();
        try
        {
            _dtls.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }

        await _stop.CancelAsync();
        _socket.Dispose();
        await Task.WhenAll(_receiveLoop, _consentLoop).ConfigureAwait(false);
        lock (_sendLock)
        {
            _outbound?.Dispose();
            _inbound?.Dispose();
        }

        _stop.Dispose();
    }
}
