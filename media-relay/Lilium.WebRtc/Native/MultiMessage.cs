using System.Runtime.InteropServices;

namespace Lilium.WebRtc.Native;

/// <summary>
/// libc's batched datagram calls, <c>sendmmsg(2)</c> and <c>recvmmsg(2)</c> (Linux; .NET has no batch send or
/// receive), over the layouts in <c>MessageHeaders.cs</c>: the relay's batched sender and the benchmark's receiver and
/// floor forwarder share them. Callers on other systems must not call them (or catch <see cref="EntryPointNotFoundException"/>).
/// </summary>
public static unsafe partial class MultiMessage
{
    /// <summary><c>MSG_DONTWAIT</c>: this call does not block, whatever the socket's mode.</summary>
    public const int DontWait = 0x40;

    /// <summary>Sends up to <paramref name="count"/> datagrams; the number sent, or -1 (errno in the last P/Invoke error).</summary>
    [LibraryImport("libc", EntryPoint = "sendmmsg", SetLastError = true)]
    public static partial int Send(int fd, MMsgHdr* messages, uint count, int flags);

    /// <summary>Receives up to <paramref name="count"/> datagrams; the number received, or -1.</summary>
    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int Receive(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
