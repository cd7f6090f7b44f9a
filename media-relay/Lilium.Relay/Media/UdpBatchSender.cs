using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Lilium.WebRtc.Native;

namespace Lilium.Relay.Media;

/// <summary>
/// Queues datagrams for one UDP socket and sends each batch with a single <c>sendmmsg(2)</c> call on
/// Linux: one publisher packet fans out to every subscriber, and one system call per batch replaces
/// one <c>sendto</c> (plus .NET's per-call endpoint and handle work) per subscriber. Elsewhere, or
/// when libc's entry point cannot be loaded, each datagram goes through <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, EndPoint)"/>.
/// The slots, addresses and message headers live in native memory allocated once, so a batch
/// allocates nothing. A datagram the kernel refuses (a full send buffer, an ICMP error queued on
/// the socket) is dropped and counted, as a real network would drop it; the rest of the batch still
/// goes. Not thread-safe: the media loop owns it.
/// </summary>
internal sealed unsafe class UdpBatchSender : IDisposable
{
    /// <summary>Bytes available to one datagram.</summary>
    public const int SlotSize = 2048;

    private const int SockAddrSize = 28; // sockaddr_in6; sockaddr_in uses the first 16
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;
    private const int EIntr = 4;
    private const int EAgain = 11;

    private readonly Socket _socket;
    private readonly SafeHandle _handle;
    private readonly int _fd;
    private readonly bool _ipv6;
    private readonly int _capacity;
    private readonly byte* _slots;
    private readonly byte* _addresses;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _headers;
    private readonly IPEndPoint?[] _fallbackTargets;
    private readonly Action<BatchResult>? _flushed;
    private bool _native;
    private bool _disposed;
    private int _count;

    /// <param name="socket">A bound UDP socket; it must outlive this sender (the sender holds a reference on its handle).</param>
    /// <param name="capacity">Datagrams per system call (the kernel caps one call at 1,024).</param>
    /// <param name="flushed">Told what every flush did (for metrics), whether <see cref="Flush"/> or a full batch started it.</param>
    /// <param name="useSendMmsg">False sends each datagram with <c>Socket.SendTo</c> (the portable path).</param>
    public UdpBatchSender(Socket socket, int capacity = 64, Action<BatchResult>? flushed = null, bool useSendMmsg = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024);
        _socket = socket;
        _ipv6 = socket.AddressFamily == AddressFamily.InterNetworkV6;
        _capacity = capacity;
        _flushed = flushed;
        _fallbackTargets = new IPEndPoint?[capacity];
        _slots = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * SlotSize));
        _addresses = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * SockAddrSize));
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(IoVec));
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(MMsgHdr));
        for (var i = 0; i < capacity; i++)
        {
            _iov[i].Base = _slots + (i * SlotSize);
            _headers[i].Header.Name = _addresses + (i * SockAddrSize);
            _headers[i].Header.Iov = &_iov[i];
            _headers[i].Header.IovLength = 1;
        }

        _handle = socket.SafeHandle;
        var added = false;
        _handle.DangerousAddRef(ref added);
        _fd = (int)_handle.DangerousGetHandle();
        _native = useSendMmsg && OperatingSystem.IsLinux();
    }

    /// <summary>Queued datagrams not yet sent.</summary>
    public int Pending => _count;

    /// <summary>True while batches go through sendmmsg (false after a fallback to SendTo).</summary>
    public bool UsesSendMmsg => _native;

    /// <summary>
    /// The slot for the next datagram (<see cref="SlotSize"/> bytes): write it, then <see cref="Commit"/>.
    /// Sends the queued batch first when every slot is taken.
    /// </summary>
    public Span<byte> Reserve()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_count == _capacity)
        {
            Flush();
        }

        return new Span<byte>(_slots + (_count * SlotSize), SlotSize);
    }

    /// <summary>Queues the datagram written into the slot <see cref="Reserve"/> returned.</summary>
    public void Commit(int length, IPEndPoint destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_count == _capacity)
        {
            throw new InvalidOperationException("Commit follows Reserve: every slot is taken.");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, SlotSize);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var i = _count;
        var address = new Span<byte>(_addresses + (i * SockAddrSize), SockAddrSize);
        _headers[i].Header.NameLength = WriteSockAddr(destination, address, _ipv6);
        _iov[i].Length = (nuint)length;
        _fallbackTargets[i] = destination;
        _count = i + 1;
    }

    /// <summary>Sends everything queued; returns what left and what the kernel refused.</summary>
    public BatchResult Flush()
    {
        if (_count == 0)
        {
            return default;
        }

        var result = _native ? FlushNative() : FlushManaged(0);
        Array.Clear(_fallbackTargets, 0, _count);
        _count = 0;
        _flushed?.Invoke(result);
        return result;
    }

    private BatchResult FlushNative()
    {
        var sent = 0;
        long bytes = 0;
        var dropped = 0;
        var offset = 0;
        while (offset < _count)
        {
            int n;
            try
            {
                n = MultiMessage.Send(_fd, _headers + offset, (uint)(_count - offset), MultiMessage.DontWait); // never block the media loop on a full send buffer
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
            {
                _native = false;
                var rest = FlushManaged(offset);
                return new BatchResult(sent + rest.Sent, bytes + rest.Bytes, dropped + rest.Dropped);
            }

            if (n > 0)
            {
                for (var i = offset; i < offset + n; i++)
                {
                    bytes += (long)_iov[i].Length;
                }

                sent += n;
                offset += n;
                continue;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == EIntr)
            {
                continue;
            }

            if (errno == EAgain)
            {
                dropped += _count - offset; // send buffer full: drop the rest of this batch
                break;
            }

            dropped++; // this datagram's error (e.g. ECONNREFUSED from an earlier ICMP): skip it
            offset++;
        }

        return new BatchResult(sent, bytes, dropped);
    }

    private BatchResult FlushManaged(int from)
    {
        var sent = 0;
        long bytes = 0;
        var dropped = 0;
        for (var i = from; i < _count; i++)
        {
            var length = (int)_iov[i].Length;
            try
            {
                _socket.SendTo(new ReadOnlySpan<byte>(_slots + (i * SlotSize), length), SocketFlags.None, _fallbackTargets[i]!);
                sent++;
                bytes += length;
            }
            catch (SocketException)
            {
                dropped++;
            }
        }

        return new BatchResult(sent, bytes, dropped);
    }

    /// <summary>Writes a sockaddr_in (16 bytes) or, for an IPv6 socket, a sockaddr_in6 (28 bytes); returns its length.</summary>
    internal static uint WriteSockAddr(IPEndPoint endpoint, Span<byte> destination, bool ipv6Socket)
    {
        destination[..SockAddrSize].Clear();
        var address = endpoint.Address;
        if (!ipv6Socket)
        {
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            MemoryMarshal.Write(destination, AfInet); // sa_family_t: host byte order
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endpoint.Port);
            address.TryWriteBytes(destination[4..8], out _);
            return 16;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address = address.MapToIPv6();
        }

        MemoryMarshal.Write(destination, AfInet6);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)endpoint.Port);
        address.TryWriteBytes(destination[8..24], out _);
        MemoryMarshal.Write(destination[24..], (uint)address.ScopeId);
        return SockAddrSize;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _count = 0;
        _handle.DangerousRelease();
        NativeMemory.Free(_slots);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_headers);
    }
}

/// <summary>What one flush did: datagrams and bytes handed to the kernel, datagrams it refused.</summary>
internal readonly record struct BatchResult(int Sent, long Bytes, int Dropped);
