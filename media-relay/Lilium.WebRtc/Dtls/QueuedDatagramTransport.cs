using System.Collections.Concurrent;
using Org.BouncyCastle.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// Adapts the shared UDP socket to BouncyCastle's blocking <see cref="DatagramTransport"/> for the handshake only:
/// the socket's demultiplexer pushes DTLS datagrams in with <see cref="Enqueue"/>, BouncyCastle pulls them with
/// <see cref="Receive(byte[], int, int, int)"/> on the handshake thread; sends go straight out through a
/// <see cref="DatagramSender"/>. The inbound queue is bounded; a flood from the peer drops datagrams instead of
/// growing memory. It also remembers what <see cref="DtlsRecordLayer"/> needs to take over: our last flight (to answer
/// the peer's retransmissions) and the highest epoch-1 sequence number BouncyCastle wrote.
/// </summary>
internal sealed class QueuedDatagramTransport(DatagramSender send, int sendLimit) : DatagramTransport, IDisposable
{
    /// <summary>Largest datagram we accept (Ethernet MTU minus IP/UDP headers).</summary>
    public const int MaxDatagram = 1472;

    private const int QueueCapacity = 128;

    private readonly BlockingCollection<byte[]> _inbound = new(new ConcurrentQueue<byte[]>(), QueueCapacity);
    private readonly Lock _flightLock = new();
    private readonly List<byte[]> _lastFlight = [];
    private bool _receivedSinceSend = true;
    private long _highestEpoch1Sequence = -1;
    private volatile bool _closed;

    public bool IsClosed => _closed;

    /// <summary>The datagrams we sent since we last received one: after the handshake, our last flight.</summary>
    public IReadOnlyList<byte[]> LastFlight
    {
        get
        {
            lock (_flightLock)
            {
                return [.. _lastFlight];
            }
        }
    }

    /// <summary>One past the highest epoch-1 sequence number BouncyCastle sent (its Finished and any resends of it).</summary>
    public ulong NextEpoch1Sequence => (ulong)(Interlocked.Read(ref _highestEpoch1Sequence) + 1);

    /// <summary>Queues a datagram from the peer; false if closed, full or oversized.</summary>
    public bool Enqueue(ReadOnlySpan<byte> datagram)
    {
        if (_closed || datagram.Length == 0 || datagram.Length > MaxDatagram)
        {
            return false;
        }

        try
        {
            return _inbound.TryAdd(datagram.ToArray());
        }
        catch (InvalidOperationException)
        {
            return false; // completed concurrently
        }
    }

    /// <summary>Takes what is still queued (datagrams that arrived as the handshake finished).</summary>
    public List<byte[]> TakeQueued()
    {
        var left = new List<byte[]>();
        while (_inbound.TryTake(out var datagram))
        {
            left.Add(datagram);
        }

        return left;
    }

    public int GetReceiveLimit() => MaxDatagram;

    public int GetSendLimit() => sendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis) => Receive(buf.AsSpan(off, len), waitMillis);

    public int Receive(Span<byte> buffer, int waitMillis)
    {
        if (_closed)
        {
            throw new IOException("dtls: transport closed");
        }

        try
        {
            if (!_inbound.TryTake(out var datagram, Math.Max(0, waitMillis)))
            {
                return _closed ? throw new IOException("dtls: transport closed") : -1;
            }

            lock (_flightLock)
            {
                _receivedSinceSend = true;
            }

            var n = Math.Min(buffer.Length, datagram.Length);
            datagram.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        catch (ObjectDisposedException)
        {
            throw new IOException("dtls: transport closed");
        }
    }

    public void Send(byte[] buf, int off, int len) => Send(buf.AsSpan(off, len));

    public void Send(ReadOnlySpan<byte> buffer)
    {
        if (_closed)
        {
            return;
        }

        Remember(buffer);
        send(buffer);
    }

    private void Remember(ReadOnlySpan<byte> datagram)
    {
        lock (_flightLock)
        {
            if (_receivedSinceSend)
            {
                _lastFlight.Clear();
                _receivedSinceSend = false;
            }

            _lastFlight.Add(datagram.ToArray());
        }

        for (var rest = datagram; DtlsRecord.TryParse(rest, out var record); rest = rest[record.Length..])
        {
            if (record.Epoch == DtlsRecordLayer.Epoch && (long)record.SequenceNumber > Interlocked.Read(ref _highestEpoch1Sequence))
            {
                Interlocked.Exchange(ref _highestEpoch1Sequence, (long)record.SequenceNumber);
            }
        }
    }

    public void Close() => _closed = true;

    public void Dispose()
    {
        _closed = true;
        _inbound.CompleteAdding();
    }
}
