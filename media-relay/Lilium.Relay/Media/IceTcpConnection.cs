using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Lilium.WebRtc.Ice;

namespace Lilium.Relay.Media;

/// <summary>Handles one RFC 4571 frame's payload (STUN, DTLS, SRTP or SRTCP) that arrived on an ICE-TCP connection.</summary>
internal delegate void TcpFrameHandler(IceTcpConnection connection, Span<byte> frame);

/// <summary>
/// One accepted ICE-TCP connection (RFC 6544, passive side): reads RFC 4571 frames into a fixed buffer and hands each
/// to the media server; sends frames through a bounded queue drained by one pump at a time. It belongs to the peer whose
/// authenticated Binding request came first on it (<see cref="Peer"/>), as a UDP 5-tuple does. Nothing the remote end
/// sends can throw out of it: a frame longer than <see cref="MaxFrame"/> closes the connection, as does end of stream.
/// </summary>
internal sealed class IceTcpConnection : IDisposable
{
    /// <summary>The longest frame accepted: a UDP datagram's worth, with room to spare (browsers send ≤ 1,500 bytes).</summary>
    public const int MaxFrame = 4096;

    /// <summary>Frames queued for sending beyond this many bytes are dropped (as a full UDP send buffer drops datagrams).</summary>
    public const int MaxQueuedBytes = 256 * 1024;

    private const int ReceiveBufferSize = 16 * 1024;
    private const int ChunkSize = 16 * 1024;

    private readonly Socket _socket;
    private readonly TcpFrameHandler _onFrame;
    private readonly byte[] _receive = new byte[ReceiveBufferSize];
    private readonly Lock _sendLock = new();
    private readonly CancellationTokenSource _closing = new();
    private List<ArraySegment<byte>> _queued = [];
    private List<ArraySegment<byte>> _sending = [];
    private byte[]? _tail;
    private int _tailUsed;
    private int _queuedBytes;
    private bool _pumping;
    private int _closed;
    private long _lastReceivedMs;
    private long _sendDropped;
    private volatile MediaPeer? _peer;

    public IceTcpConnection(Socket socket, TcpFrameHandler onFrame, long nowMs)
    {
        _socket = socket;
        _onFrame = onFrame;
        Remote = (IPEndPoint)socket.RemoteEndPoint!;
        OpenedMs = nowMs;
        _lastReceivedMs = nowMs;
        socket.NoDelay = true; // media: a frame leaves at once, never waits for the next one
    }

    public IPEndPoint Remote { get; }

    public long OpenedMs { get; }

    /// <summary>When the last frame (of any kind) arrived.</summary>
    public long LastReceivedMs => Volatile.Read(ref _lastReceivedMs);

    /// <summary>The peer this connection belongs to: set once, by the first authenticated Binding request on it.</summary>
    public MediaPeer? Peer
    {
        get => _peer;
        set => _peer = value;
    }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Frames dropped because the send queue was full.</summary>
    public long SendDropped => Interlocked.Read(ref _sendDropped);

    /// <summary>Reads frames until the stream ends, a frame is too long, or <see cref="Dispose"/>; never throws.</summary>
    public async Task RunAsync()
    {
        var filled = 0;
        try
        {
            while (!IsClosed)
            {
                var read = await _socket.ReceiveAsync(_receive.AsMemory(filled), SocketFlags.None, _closing.Token);
                if (read == 0)
                {
                    break; // end of stream
                }

                Volatile.Write(ref _lastReceivedMs, Environment.TickCount64);
                filled = DeliverFrames(filled + read);
                if (filled < 0)
                {
                    break; // hostile or broken framing
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            Dispose();
        }
    }

    // Hands every complete frame in the buffer to the media server and moves the rest to the front; -1 on a frame longer
    // than MaxFrame (the buffer holds any frame up to that, so a complete frame always fits).
    private int DeliverFrames(int filled)
    {
        var offset = 0;
        while (true)
        {
            var status = StreamFraming.TryRead(_receive.AsSpan(offset, filled - offset), MaxFrame, out var length);
            if (status == FrameStatus.TooLarge)
            {
                return -1;
            }

            if (status == FrameStatus.Incomplete)
            {
                break;
            }

            if (length > 0)
            {
                _onFrame(this, _receive.AsSpan(offset + StreamFraming.HeaderSize, length));
            }

            offset += StreamFraming.HeaderSize + length;
        }

        var rest = filled - offset;
        if (offset > 0 && rest > 0)
        {
            _receive.AsSpan(offset, rest).CopyTo(_receive);
        }

        return rest;
    }

    /// <summary>
    /// Queues one frame (any thread). False when closed or when the queue already holds <see cref="MaxQueuedBytes"/>:
    /// the frame is dropped whole, so the stream's framing stays intact.
    /// </summary>
    public bool TrySend(ReadOnlySpan<byte> payload)
    {
        var size = StreamFraming.HeaderSize + payload.Length;
        bool start;
        lock (_sendLock)
        {
            if (IsClosed || payload.Length > StreamFraming.MaxPayload || _queuedBytes + size > MaxQueuedBytes)
            {
                Interlocked.Increment(ref _sendDropped);
                return false;
            }

            if (_tail is null || _tail.Length - _tailUsed < size)
            {
                CloseTail();
                _tail = ArrayPool<byte>.Shared.Rent(Math.Max(ChunkSize, size));
                _tailUsed = 0;
            }

            StreamFraming.TryWrite(payload, _tail.AsSpan(_tailUsed), out var written);
            _tailUsed += written;
            _queuedBytes += written;
            start = !_pumping;
            _pumping = true;
        }

        if (start)
        {
            _ = PumpAsync();
        }

        return true;
    }

    // Under _sendLock: the chunk being filled joins the queue as it stands.
    private void CloseTail()
    {
        if (_tail is not null && _tailUsed > 0)
        {
            _queued.Add(new ArraySegment<byte>(_tail, 0, _tailUsed));
        }
        else if (_tail is not null)
        {
            ArrayPool<byte>.Shared.Return(_tail);
        }

        _tail = null;
        _tailUsed = 0;
    }

    // One pump at a time: takes everything queued, writes it with one gathered send, repeats until the queue is empty.
    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                List<ArraySegment<byte>> batch;
                var bytes = 0;
                lock (_sendLock)
                {
                    CloseTail();
                    if (_queued.Count == 0 || IsClosed)
                    {
                        _pumping = false;
                        return;
                    }

                    batch = _queued;
                    _queued = _sending;
                    _sending = batch;
                    foreach (var segment in batch)
                    {
                        bytes += segment.Count;
                    }
                }

                try
                {
                    var sent = await _socket.SendAsync(batch, SocketFlags.None);
                    if (sent != bytes)
                    {
                        Dispose();
                    }
                }
                finally
                {
                    foreach (var segment in batch)
                    {
                        ArrayPool<byte>.Shared.Return(segment.Array!);
                    }

                    batch.Clear();
                    lock (_sendLock)
                    {
                        _queuedBytes -= bytes;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            lock (_sendLock)
            {
                _pumping = false;
            }

            Dispose();
        }
    }

    /// <summary>Closes the socket (idempotent); what is queued is not sent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }
}
