using Org.BouncyCastle.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// One DTLS-SRTP association over a datagram path we do not own (the shared UDP socket).
/// <list type="bullet">
/// <item>The owner feeds every DTLS datagram (first byte 20–63, RFC 7983) to <see cref="Feed"/>.</item>
/// <item><see cref="HandshakeAsync"/> runs BouncyCastle's blocking handshake on a dedicated thread and
/// returns the SRTP keys; no thread stays behind once it completes.</item>
/// <item>After the handshake, BouncyCastle is out of the path: <see cref="Feed"/> hands each datagram to our
/// <see cref="DtlsRecordLayer"/> on the feeding thread (no queue, no polling). Alerts end the association
/// (<see cref="Closed"/>), application data goes to <see cref="ApplicationDataReceived"/> (SCTP), and a peer
/// whose records fail more than <see cref="DtlsRecordLayer.DefaultBadRecordBudget"/> times is closed.</item>
/// </list>
/// </summary>
public sealed class DtlsConnection : IDisposable
{
    /// <summary>What we put in a datagram: the IPv4 minimum-MTU-safe size WebRTC stacks use.</summary>
    private const int SendLimit = 1200;

    /// <summary>How often we answer the peer's retransmitted last flight with ours (RFC 6347 §4.2.4), in all.</summary>
    private const int MaxFlightResends = 8;

    private readonly DtlsRole _role;
    private readonly DatagramSender _send;
    private readonly QueuedDatagramTransport _transport;
    private readonly IDtlsSrtpPeer _peer;
    private readonly DefaultTlsServer? _server;
    private readonly DefaultTlsClient? _client;
    private readonly int _badRecordBudget;
    private readonly Lock _handoffLock = new();
    private DtlsRecordLayer? _records;
    private IReadOnlyList<byte[]> _lastFlight = [];
    private int _flightResends;
    private int _handshakeStarted;
    private volatile bool _closed;

    public DtlsConnection(
        DtlsRole role,
        DtlsCertificate localCertificate,
        DtlsFingerprint remoteFingerprint,
        DatagramSender send,
        IReadOnlyList<SrtpProtectionProfile>? profiles = null,
        TimeSpan? handshakeTimeout = null,
        int badRecordBudget = DtlsRecordLayer.DefaultBadRecordBudget)
    {
        _role = role;
        _send = send;
        _badRecordBudget = badRecordBudget;
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
    public bool IsEstablished => Volatile.Read(ref _records) is not null;

    /// <summary>Completes with a reason when the association ends (peer close_notify, fatal alert, bad-record budget, <see cref="Close"/>).</summary>
    public Task<string> Closed => _peer.Events.Closed;

    /// <summary>
    /// Called (on the thread that fed the datagram) with each application-data record after the
    /// handshake, e.g. SCTP for data channels. Without a handler, application data is discarded.
    /// </summary>
    public DatagramSender? ApplicationDataReceived { get; set; }

    /// <summary>Post-handshake records dropped: failed (framing, version, epoch, authentication) or replayed.</summary>
    public long DroppedRecords => Volatile.Read(ref _records) is { } r ? r.FailedRecords + r.ReplayedRecords : 0;

    /// <summary>Post-handshake records that failed; past the budget they close the association.</summary>
    public long FailedRecords => Volatile.Read(ref _records)?.FailedRecords ?? 0;

    /// <summary>The largest application-data payload <see cref="SendApplicationData"/> takes.</summary>
    public static int MaxApplicationData => SendLimit - DtlsRecordLayer.Overhead;

    /// <summary>Hands a DTLS datagram from the peer to the association. Never throws on hostile bytes.</summary>
    public void Feed(ReadOnlySpan<byte> datagram)
    {
        var records = Volatile.Read(ref _records);
        if (records is null)
        {
            lock (_handoffLock)
            {
                records = _records;
                if (records is null)
                {
                    _transport.Enqueue(datagram); // the handshake thread pulls it
                    return;
                }
            }
        }

        Receive(records, datagram);
    }

    private void Receive(DtlsRecordLayer records, ReadOnlySpan<byte> datagram)
    {
        if (_closed)
        {
            return;
        }

        var result = records.Receive(datagram, ApplicationDataReceived);
        if ((result & DtlsReceiveResult.HandshakeRetransmission) != 0)
        {
            ResendLastFlight();
        }

        if ((result & DtlsReceiveResult.Closed) != 0)
        {
            _peer.Events.Close(records.CloseReason ?? "dtls: closed");
        }
    }

    // RFC 6347 §4.2.4: the side that sent the last flight (the server, in a full handshake) answers a retransmission of
    // the peer's last flight with its own, in case it was lost. Bounded: spoofed triggers cannot make us a reflector.
    private void ResendLastFlight()
    {
        var flight = _lastFlight;
        if (flight.Count == 0 || Interlocked.Increment(ref _flightResends) > MaxFlightResends)
        {
            return;
        }

        foreach (var datagram in flight)
        {
            _send(datagram);
        }
    }

    /// <summary>Sends application data (one DTLS record) once established; false if empty, too large, not established or closed.</summary>
    public bool SendApplicationData(ReadOnlySpan<byte> data)
    {
        var records = Volatile.Read(ref _records);
        if (records is null || _closed || records.IsClosed || data.IsEmpty || data.Length > MaxApplicationData)
        {
            return false;
        }

        return Send(records, DtlsContentType.ApplicationData, data);
    }

    private bool Send(DtlsRecordLayer records, DtlsContentType type, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> datagram = stackalloc byte[SendLimit];
        if (!records.TryProtect(type, plaintext, datagram, out var written))
        {
            return false;
        }

        _send(datagram[..written]);
        return true;
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
            // BouncyCastle's DtlsTransport is dropped unused: from here on, records are ours.
            _ = _role == DtlsRole.Server
                ? new DtlsServerProtocol().Accept(_server!, _transport)
                : new DtlsClientProtocol().Connect(_client!, _transport);
            var keys = _peer.Keys ?? throw new DtlsHandshakeException("dtls: handshake finished without SRTP keys");
            var recordKeys = _peer.RecordKeys ?? throw new DtlsHandshakeException("dtls: handshake finished without record keys");
            var records = new DtlsRecordLayer(recordKeys, _role, _transport.NextEpoch1Sequence, _badRecordBudget);
            _lastFlight = _role == DtlsRole.Server ? _transport.LastFlight : [];

            List<byte[]> early;
            lock (_handoffLock)
            {
                Volatile.Write(ref _records, records);
                early = _transport.TakeQueued(); // records that arrived right after the last flight
            }

            _transport.Dispose();
            foreach (var datagram in early)
            {
                Receive(records, datagram);
            }

            return keys;
        }
        catch (DtlsHandshakeException)
        {
            throw;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ArgumentException or NullReferenceException)
        {
            var detail = _peer.Events.LastError ?? ex.Message;
            _peer.Events.Close("dtls handshake failed: " + detail);
            throw new DtlsHandshakeException("dtls: handshake failed: " + detail, ex);
        }
    }

    /// <summary>Sends close_notify (if established) and stops processing.</summary>
    public void Close()
    {
        var records = Volatile.Read(ref _records);
        if (records is not null && !_closed && !records.IsClosed)
        {
            Send(records, DtlsContentType.Alert, [1, 0]); // warning, close_notify
            records.Close("closed locally");
        }

        _closed = true;
        _peer.Events.Close("closed locally");
        _transport.Dispose();
    }

    public void Dispose()
    {
        _closed = true;
        _peer.Events.Close("disposed");
        _transport.Dispose();
        lock (_handoffLock)
        {
            Volatile.Read(ref _records)?.Dispose();
        }
    }
}
