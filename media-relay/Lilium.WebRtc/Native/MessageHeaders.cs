using System.Runtime.InteropServices;

namespace Lilium.WebRtc.Native;

// struct iovec, struct msghdr and struct mmsghdr as Linux lays them out (natural alignment), for sendmmsg(2) and
// recvmmsg(2): the relay's batched sender and the benchmark's batched receiver share them.

[StructLayout(LayoutKind.Sequential)]
public unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

[StructLayout(LayoutKind.Sequential)]
public struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}
