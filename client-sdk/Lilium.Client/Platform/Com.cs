using System.Runtime.Versioning;

namespace Lilium.Client.Platform;

/// <summary>
/// Calls on COM interfaces through their vtables with function pointers (no runtime COM interop, so
/// it is trimming- and Native-AOT-safe). Slot numbers are the methods' positions in the interface
/// as declared in the Windows SDK headers, counting IUnknown's three first.
/// </summary>
[SupportedOSPlatform("windows")]
internal static unsafe class Com
{
    public static void* Slot(nint instance, int slot) => (*(void***)instance)[slot];

    public static int QueryInterface(nint instance, Guid iid, out nint result)
    {
        nint r;
        var hr = ((delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int>)Slot(instance, 0))(instance, &iid, &r);
        result = hr >= 0 ? r : 0;
        return hr;
    }

    /// <summary>Releases one reference and zeroes the variable; a zero pointer is left alone.</summary>
    public static void Release(ref nint instance)
    {
        if (instance != 0)
        {
            ((delegate* unmanaged[Stdcall]<nint, uint>)Slot(instance, 2))(instance);
            instance = 0;
        }
    }

    /// <summary>Throws a <see cref="LiliumException"/> naming the call when <paramref name="hr"/> is a failure.</summary>
    public static void Check(int hr, string call)
    {
        if (hr < 0)
        {
            throw new LiliumException($"{call} failed (HRESULT 0x{hr:X8}).");
        }
    }
}
