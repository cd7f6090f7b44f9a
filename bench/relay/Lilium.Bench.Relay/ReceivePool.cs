using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Lilium.WebRtc.Native;

/// <summary>
/// Drains every subscriber socket from one thread: each pass reads whatever each socket holds with
/// <c>recvmmsg(2)</c> (non-blocking, up to <see cref="Batch"/> datagrams per call), then sleeps
/// <see cref="PollInterval"/>. A thousand subscribers at 250 packets/s each are a quarter of a million datagrams a
/// second; one asynchronous receive loop per socket spent a whole core of the generator on wake-ups and thread-pool
/// hops for that, and the generator, not the SFU, became the limit. The kernel stamps each datagram when it reaches
/// the socket (<c>SO_TIMESTAMPNS</c>), so the latency measured is the SFU's (publisher send to subscriber socket) and
/// not the time the datagram then waited for this thread. Linux only, like the rest of the bench.
/// </summary>
internal sealed unsafe class ReceivePool : IDisposable
{
    public const int Batch = 64;
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(10);

    private const int SlotSize = 2048;
    private const int ControlSize = 64;
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35; // SO_TIMESTAMPNS (= SCM_TIMESTAMPNS) on x86-64 and arm64

    private readonly byte* _slots;
    private readonly byte* _control;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _headers;
    private readonly Lock _lock = new();
    private (Subscriber Subscriber, int Fd)[] _members = [];
    private Thread? _thread;

    public ReceivePool()
    {
        _slots = (byte*)NativeMemory.AllocZeroed(Batch * SlotSize);
        _control = (byte*)NativeMemory.AllocZeroed(Batch * ControlSize);
        _iov = (IoVec*)NativeMemory.AllocZeroed(Batch, (nuint)sizeof(IoVec));
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed(Batch, (nuint)sizeof(MMsgHdr));
        for (var i = 0; i < Batch; i++)
        {
            _iov[i].Base = _slots + (i * SlotSize);
            _iov[i].Length = SlotSize;
            _headers[i].Header.Iov = &_iov[i];
            _headers[i].Header.IovLength = 1;
        }
    }

    /// <summary>
    /// The peer on a fresh socket bound to the same local port. The handshake ran on .NET's asynchronous socket
    /// engine, which keeps a socket in its epoll set until it is closed: every datagram would still wake the engine's
    /// event thread and a thread-pool worker (42 % of the generator's CPU, perf) although nothing awaits it. A socket
    /// that only sees synchronous calls and <c>recvmmsg</c> is never registered. (UDP has no TIME_WAIT: the port is
    /// free again as soon as the old socket is closed; a datagram arriving in between is lost before any step measures.)
    /// </summary>
    public static BenchPeer Rebind(BenchPeer peer)
    {
        var local = (IPEndPoint)peer.Socket.LocalEndPoint!;
        peer.Socket.Dispose();
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(local);
        return peer with { Socket = socket };
    }

    /// <summary>Adds a connected subscriber; from now on only this pool reads its socket.</summary>
    public void Add(Subscriber subscriber)
    {
        var socket = subscriber.Peer.Socket;
        socket.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
        lock (_lock)
        {
            _members = [.. _members, (subscriber, (int)socket.SafeHandle.DangerousGetHandle())];
        }
    }

    public void Start(CancellationToken stop)
    {
        _thread = new Thread(() => Run(stop)) { IsBackground = true, Name = "receive-pool" };
        _thread.Start();
    }

    /// <summary>Waits for the thread to see the cancellation (call before the sockets are closed).</summary>
    public void Join() => _thread?.Join();

    public void Dispose()
    {
        NativeMemory.Free(_headers);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_control);
        NativeMemory.Free(_slots);
    }

    private void Run(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var (subscriber, fd) in Volatile.Read(ref _members))
            {
                Drain(subscriber, fd);
            }

            Thread.Sleep(PollInterval);
        }
    }

    private void Drain(Subscriber subscriber, int fd)
    {
        int n;
        do
        {
            for (var i = 0; i < Batch; i++)
            {
                _headers[i].Header.Control = _control + (i * ControlSize);
                _headers[i].Header.ControlLength = ControlSize;
                _headers[i].Header.Flags = 0;
            }

            n = MultiMessage.Receive(fd, _headers, Batch, MultiMessage.DontWait, null);
            for (var i = 0; i < n; i++)
            {
                var datagram = new Span<byte>(_slots + (i * SlotSize), (int)_headers[i].Length);
                subscriber.OnDatagram(datagram, ArrivalUnixNs(&_headers[i].Header));
            }
        }
        while (n == Batch);
    }

    /// <summary>The kernel's receive time (CLOCK_REALTIME) from the SCM_TIMESTAMPNS control message; 0 when absent.</summary>
    private static long ArrivalUnixNs(MsgHdr* header)
    {
        var p = (byte*)header->Control;
        var end = p + header->ControlLength;
        while (p + 16 <= end)
        {
            var length = *(nuint*)p;
            if (length < 16 || p + length > end)
            {
                break;
            }

            if (*(int*)(p + 8) == SolSocket && *(int*)(p + 12) == SoTimestampNs && length >= 32)
            {
                return (*(long*)(p + 16) * 1_000_000_000) + *(long*)(p + 24);
            }

            p += (length + 7) & ~(nuint)7;
        }

        return 0;
    }
}
