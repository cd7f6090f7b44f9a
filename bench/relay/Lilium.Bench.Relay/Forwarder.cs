using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Lilium.WebRtc.Native;
using Lilium.WebRtc;

/// <summary>
/// The floor (<c>Lilium.Bench.Relay.dll --forwarder PORT</c>, pinned to the SFU's core like the SFUs): a process that
/// does nothing but hand each datagram from its publisher, unchanged, to every registered subscriber with
/// <c>sendmmsg(2)</c> — one thread blocked in <c>recvfrom</c>, no decryption, no rewriting, no re-encryption, no
/// copies (every message of a batch points at the same buffer), no RTCP, no ICE. What it measures is what fanning out
/// costs on this machine before any SFU work: the kernel's UDP send path, the loopback delivery and the scheduler.
/// No SFU on the same core can add less latency at the same load, so its p99 in the same run tells which part of a
/// relay's p99 is the relay's own. Registration: a one-byte datagram <c>P</c> (publisher) or <c>S</c> (subscriber)
/// from the peer's socket, answered with <c>A</c>. Linux only, like the rest of the benchmark.
/// </summary>
internal sealed unsafe partial class Forwarder : IDisposable
{
    public const byte Publisher = (byte)'P';
    public const byte Subscriber = (byte)'S';
    public const byte Ack = (byte)'A';

    private const int Batch = 64; // as the relay's UdpBatchSender
    private const int MaxSubscribers = 1 << 14;
    private const int SockAddrSize = 16; // sockaddr_in
    private const int BufferSize = 2048;

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly byte* _buffer;
    private readonly byte* _addresses;
    private readonly byte* _from;
    private readonly byte* _publisher;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _headers;
    private int _subscribers;
    private bool _hasPublisher;

    private Forwarder(int port)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _fd = (int)_socket.SafeHandle.DangerousGetHandle();
        _buffer = (byte*)NativeMemory.AllocZeroed(BufferSize);
        _addresses = (byte*)NativeMemory.AllocZeroed(MaxSubscribers * SockAddrSize);
        _from = (byte*)NativeMemory.AllocZeroed(SockAddrSize);
        _publisher = (byte*)NativeMemory.AllocZeroed(SockAddrSize);
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)sizeof(IoVec));
        _iov->Base = _buffer;
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed(Batch, (nuint)sizeof(MMsgHdr));
        for (var i = 0; i < Batch; i++)
        {
            _headers[i].Header.NameLength = SockAddrSize;
            _headers[i].Header.Iov = _iov;
            _headers[i].Header.IovLength = 1;
        }
    }

    /// <summary>Serves until the process is killed.</summary>
    public static int Run(int port)
    {
        using var forwarder = new Forwarder(port);
        var thread = new Thread(forwarder.Loop) { Name = "forwarder", IsBackground = false };
        thread.Start();
        thread.Join();
        return 0;
    }

    public void Dispose()
    {
        _socket.Dispose();
        NativeMemory.Free(_headers);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_publisher);
        NativeMemory.Free(_from);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_buffer);
    }

    private void Loop()
    {
        while (true)
        {
            var fromLength = (uint)SockAddrSize;
            var n = (int)RecvFrom(_fd, _buffer, BufferSize, 0, _from, &fromLength);
            if (n <= 0 || fromLength != SockAddrSize)
            {
                continue;
            }

            var first = _buffer[0];
            if (n == 1 && first is Publisher or Subscriber)
            {
                Register(first);
            }
            else if (PacketDemux.Classify(new ReadOnlySpan<byte>(_buffer, n)) is PacketKind.Rtp or PacketKind.Rtcp && _hasPublisher && new ReadOnlySpan<byte>(_from, SockAddrSize).SequenceEqual(new ReadOnlySpan<byte>(_publisher, SockAddrSize)))
            {
                FanOut(n);
            }

            // anything else (the generator's consent checks) is ignored
        }
    }

    private void Register(byte role)
    {
        if (role == Publisher)
        {
            Buffer.MemoryCopy(_from, _publisher, SockAddrSize, SockAddrSize);
            _hasPublisher = true;
        }
        else if (_subscribers < MaxSubscribers)
        {
            Buffer.MemoryCopy(_from, _addresses + (_subscribers * SockAddrSize), SockAddrSize, SockAddrSize);
            _subscribers++;
        }

        var ack = Ack;
        SendTo(_fd, &ack, 1, 0, _from, SockAddrSize);
    }

    private void FanOut(int length)
    {
        _iov->Length = (nuint)length;
        for (var start = 0; start < _subscribers;)
        {
            var count = Math.Min(Batch, _subscribers - start);
            for (var i = 0; i < count; i++)
            {
                _headers[i].Header.Name = _addresses + ((start + i) * SockAddrSize);
            }

            var sent = MultiMessage.Send(_fd, _headers, (uint)count, MultiMessage.DontWait);
            start += sent > 0 ? sent : 0;
            if (sent < count)
            {
                start++; // refused (full buffer): dropped, as the relay drops it; the subscriber counts the loss
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "recvfrom", SetLastError = true)]
    private static partial nint RecvFrom(int fd, byte* buffer, nuint length, int flags, byte* from, uint* fromLength);

    [LibraryImport("libc", EntryPoint = "sendto", SetLastError = true)]
    private static partial nint SendTo(int fd, byte* buffer, nuint length, int flags, byte* to, uint toLength);
}
