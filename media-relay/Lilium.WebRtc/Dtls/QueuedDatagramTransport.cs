using System.Collections.Concurrent;
using Org.BouncyCastle.Crypto.Tls;

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// Adapts the shared UDP socket to BouncyCastle's blocking <see cref="DatagramTransport"/>:
/// the socket's demultiplexer pushes DTLS datagrams in with <see cref="Enqueue"/>, BouncyCastle
/// pulls them with <see cref="Receive"/>; sends go straight out through a <see cref="DatagramSender"/>.
/// The inbound queue is bounded; a flood from the peer drops datagrams instead of growing memory.
/// </summary>
internal sealed class QueuedDatagramTransport(DatagramSender send, int sendLimit) : DatagramTransport, IDisposable
{
    /// <summary>Largest datagram we accept (Ethernet MTU minus IP/UDP headers).</summary>
    public const int MaxDatagram = 1472;

    private const int QueueCapacity = 128;

    private readonly BlockingCollection<byte[]> _inbound = new(new ConcurrentQueue<byte[]>(), QueueCapacity);
    private volatile bool _closed;

    public bool IsClosed => _closed;

    /// <summary>
    /// After the handshake a receive never waits: BouncyCastle's wait (at least 1 ms) would cost
    /// every datagram a millisecond on the thread that fed it, the relay's single media loop.
    /// </summary>
    public bool NonBlocking { get; set; }

    /// <summary>Datagrams queued and not yet pulled by BouncyCastle.</summary>
    public int Pending => _inbound.Count;

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

    public int GetReceiveLimit() => MaxDatagram;

    public int GetSendLimit() => sendLimit;

    public int Receive(byte[] buf, int off, int len, int waitMillis)
    {
        if (_closed)
        {
            throw new IOException("dtls: transport closed");
        }

        try
        {
            if (!_inbound.TryTake(out var datagram, NonBlocking ? 0 : Math.Max(0, waitMillis)))
            {
                return _closed ? throw new IOException("dtls: transport closed") : -1;
            }

            var n = Math.Min(len, datagram.Length);
            datagram.AsSpan(0, n).CopyTo(buf.AsSpan(off, n));
            return n;
        }
        catch (ObjectDisposedException)
        {
            throw new IOException("dtls: transport closed");
        }
    }

    public void Send(byte[] buf, int off, int len)
    {
        if (!_closed)
        {
            send(buf.AsSpan(off, len));
        }
    }

    public void Close() => _closed = true;

    public void Dispose()
    {
        _closed = true;
        _inbound.CompleteAdding();
    }
}
