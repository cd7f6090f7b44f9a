using Org.BouncyCastle.Crypto.Tls;
using Org.BouncyCastle.Security;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// One DTLS-SRTP association over a datagram path we do not own (the shared UDP socket).
/// <list type="bullet">
/// <item>The owner feeds every DTLS datagram (first byte 20–63, RFC 7983) to <see cref="Feed"/>.</item>
/// <item><see cref="HandshakeAsync"/> runs BouncyCastle's blocking handshake on a dedicated thread and
/// returns the SRTP keys; no thread stays behind once it completes.</item>
/// <item>After the handshake, <see cref="Feed"/> processes records inline: alerts (a <c>close_notify</c>
/// completes <see cref="Closed"/>) and application data (<see cref="ApplicationDataReceived"/>, for SCTP).</item>
/// </list>
/// </summary>
public sealed class DtlsConnection : IDisposable
{
    /// <summary>What we put in a datagram: the IPv4 minimum-MTU-safe size WebRTC stacks use.</summary>
    private const int SendLimit = 1200;

    private readonly DtlsRole _role;
    private readonly QueuedDatagramTransport _transport;
    private readonly IDtlsSrtpPeer _peer;
    private readonly DefaultTlsServer? _server;
    private readonly DefaultTlsClient? _client;
    private readonly Lock _receiveLock = new();
    private readonly Lock _sendLock = new();
    private readonly byte[] _scratch = new byte[QueuedDatagramTransport.MaxDatagram];
    private readonly Lock _guardLock = new();
    private readonly byte[] _accepted = new byte[QueuedDatagramTransport.MaxDatagram];
    private DtlsTransport? _established;
    private DtlsRecordGuard? _guard;
    private int _handshakeStarted;
    private long _droppedRecords;

    public DtlsConnection(
        DtlsRole role,
        DtlsCertificate localCertificate,
        DtlsFingerprint remoteFingerprint,
        DatagramSender send,
        IReadOnlyList<SrtpProtectionProfile>? profiles = null,
        TimeSpan? handshakeTimeout = null)
    {
        _role = role;
        _transport = new QueuedDatagramTransport(send, SendLimit);
        var offered = profiles ?? DtlsSrtpPolicy.DefaultProfiles;
        var timeout = (int)(handshakeTimeout ?? TimeSpan.FromSeconds(10)).TotalMilliseconds;
        if (role == DtlsRole.Server)
        {
            var server = new DtlsSrtpServer(localCertificate, remoteFingerprint, offered, timeout);
            _server = server;
            _peer = server;
        }
        else
        {
            var client = new DtlsSrtpClient(localCertificate, remoteFingerprint, offered, timeout);
            _client = client;
            _peer = client;
        }
    }

    public DtlsRole Role => _role;

    /// <summary>True once the handshake finished and keys are available.</summary>
    public bool IsEstablished => Volatile.Read(ref _established) is not null;

    /// <summary>Completes with a reason when the association ends (peer close_notify, fatal alert, <see cref="Close"/>).</summary>
    public Task<string> Closed => _peer.Events.Closed;

    /// <summary>
    /// Called (on the thread that fed the datagram) with each application-data record after the
    /// handshake, e.g. SCTP for data channels. Without a handler, application data is discarded.
    /// </summary>
    public DatagramSender? ApplicationDataReceived { get; set; }

    /// <summary>Hands a DTLS datagram from the peer to the association. Never throws on hostile bytes.</summary>
    public void Feed(ReadOnlySpan<byte> datagram)
    {
        var guard = Volatile.Read(ref _guard);
        if (guard is not null ? !EnqueueGuarded(guard, datagram) : !_transport.Enqueue(datagram))
        {
            return;
        }

        DrainEstablished();
    }

    /// <summary>Post-handshake records dropped because they failed authentication (or were not DTLS 1.2 records).</summary>
    public long DroppedRecords => Interlocked.Read(ref _droppedRecords);

    // RFC 6347 §4.1.2.7: a record that fails authentication is discarded, not fatal. Only records that
    // authenticate reach BouncyCastle (which would close on them). No budget closes the peer: whoever can
    // spoof its address could then close it with a burst, the attack this prevents; a drop costs one GCM open.
    private bool EnqueueGuarded(DtlsRecordGuard guard, ReadOnlySpan<byte> datagram)
    {
        lock (_guardLock)
        {
            if (_transport.IsClosed || datagram.Length > _accepted.Length)
            {
                return false;
            }

            var n = guard.Filter(datagram, _accepted, out var dropped);
            if (dropped > 0)
            {
                Interlocked.Add(ref _droppedRecords, dropped);
            }

            return n > 0 && _transport.Enqueue(_accepted.AsSpan(0, n));
        }
    }

    /// <summary>Sends application data (one DTLS record) once established; false if empty, not established or closed.</summary>
    public bool SendApplicationData(ReadOnlySpan<byte> data)
    {
        var established = Volatile.Read(ref _established);
        // Empty: BouncyCastle's Send throws ArgumentException for a zero-length buffer (found by make fuzz).
        if (established is null || _transport.IsClosed || data.IsEmpty || data.Length > established.GetSendLimit())
        {
            return false;
        }

        lock (_sendLock)
        {
            try
            {
                established.Send(data.ToArray(), 0, data.Length);
                return true;
            }
            catch (Exception ex) when (ex is IOException or TlsFatalAlert or InvalidOperationException)
            {
                return false;
            }
        }
    }

    // After the handshake, records are processed on the feeding thread: data is already queued, so
    // Receive returns at once; alerts reach DtlsPeerEvents, application data the handler.
    private void DrainEstablished()
    {
        var established = Volatile.Read(ref _established);
        if (established is null)
        {
            return; // the handshake thread pulls it
        }

        lock (_receiveLock)
        {
            try
            {
                // BouncyCastle 1.8.10's Receive polls until its wait elapses when nothing is queued (a
                // 1 ms busy loop per call), so it is called only while a datagram is waiting. A record it
                // discards (bad MAC, replay) still costs that loop once; see docs/relay.md.
                while (_transport.Pending > 0)
                {
                    var n = established.Receive(_scratch, 0, _scratch.Length, 1);
                    if (n > 0)
                    {
                        ApplicationDataReceived?.Invoke(_scratch.AsSpan(0, n));
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or TlsFatalAlert or InvalidOperationException)
            {
                _peer.Events.Close("dtls: " + ex.Message);
            }
        }
    }

    /// <summary>Runs the handshake; completes with the SRTP keys, or throws <see cref="DtlsHandshakeException"/>.</summary>
    public Task<SrtpKeyingMaterial> HandshakeAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _handshakeStarted, 1) != 0)
        {
            throw new InvalidOperationException("dtls: handshake already started");
        }

        var registration = cancellationToken.Register(Dispose);
        return Task.Factory.StartNew(
            () =>
            {
                using (registration)
                {
                    return RunHandshake();
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }

    private SrtpKeyingMaterial RunHandshake()
    {
        try
        {
            var random = new SecureRandom();
            var transport = _role == DtlsRole.Server
                ? new DtlsServerProtocol(random).Accept(_server!, _transport)
                : new DtlsClientProtocol(random).Connect(_client!, _transport);
            var keys = _peer.Keys ?? throw new DtlsHandshakeException("dtls: handshake finished without SRTP keys");
            _transport.NonBlocking = true;
            Volatile.Write(ref _guard, _peer.RecordGuard);
            Volatile.Write(ref _established, transport);
            DrainEstablished(); // records that arrived right after the last flight
            return keys;
        }
        catch (DtlsHandshakeException)
        {
            throw;
        }
        catch (Exception ex) when (ex is IOException or TlsFatalAlert or InvalidOperationException or ArgumentException or NullReferenceException)
        {
            var detail = _peer.Events.LastError ?? ex.Message;
            _peer.Events.Close("dtls handshake failed: " + detail);
            throw new DtlsHandshakeException("dtls: handshake failed: " + detail, ex);
        }
    }

    /// <summary>Sends close_notify (if established) and stops processing.</summary>
    public void Close()
    {
        var established = Volatile.Read(ref _established);
        if (established is not null)
        {
            lock (_sendLock)
            {
                try
                {
                    established.Close();
                }
                catch (IOException)
                {
                }
            }
        }

        _peer.Events.Close("closed locally");
        _transport.Dispose();
    }

    public void Dispose()
    {
        _peer.Events.Close("disposed");
        _transport.Dispose();
        lock (_guardLock)
        {
            _peer.RecordGuard?.Dispose();
        }
    }
}
