using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;

namespace Lilium.Client.Platform;

/// <summary>
/// The Objective-C runtime by P/Invoke, for ScreenCaptureKit: classes and selectors by name, one
/// <c>objc_msgSend</c> declaration per call shape (on arm64 it must be called through the exact prototype, never as
/// a variadic function), a class built at run time for the stream's delegate, and global block literals for the
/// completion handlers (Clang's block ABI: isa, flags, reserved, invoke, descriptor, then the captured value).
/// </summary>
[SupportedOSPlatform("macos")]
internal static unsafe partial class ObjC
{
    private const string Runtime = "/usr/lib/libobjc.A.dylib";
    private const string LibSystem = "/usr/lib/libSystem.B.dylib";
    private const string CoreMedia = "/System/Library/Frameworks/CoreMedia.framework/CoreMedia";
    private const string CoreVideo = "/System/Library/Frameworks/CoreVideo.framework/CoreVideo";
    private const string CoreGraphics = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics";
    public const string ScreenCaptureKit = "/System/Library/Frameworks/ScreenCaptureKit.framework/ScreenCaptureKit";

    private const int BlockIsGlobal = 1 << 28;

    /// <summary>A class by name (0 when absent).</summary>
    public static nint Class(string name) => GetClass(name);

    /// <summary>A selector by name.</summary>
    public static nint Sel(string name) => RegisterName(name);

    /// <summary><c>[[cls alloc] init]</c>-style: <c>alloc</c> on a class.</summary>
    public static nint Alloc(nint cls) => Send(cls, Sel("alloc"));

    /// <summary><c>release</c> (ignores 0).</summary>
    public static void Release(nint obj)
    {
        if (obj != 0)
        {
            Send(obj, Sel("release"));
        }
    }

    /// <summary>An NSError's <c>localizedDescription</c>, or <paramref name="fallback"/> when there is none.</summary>
    public static string ErrorText(nint error, string fallback)
    {
        if (error == 0)
        {
            return fallback;
        }

        var text = Send(Send(error, Sel("localizedDescription")), Sel("UTF8String"));
        return text == 0 ? fallback : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)text));
    }

    /// <summary>
    /// A global block literal that calls <paramref name="invoke"/> with the block pointer first; <paramref name="context"/>
    /// (a GCHandle) sits after the descriptor, where <see cref="BlockContext"/> reads it. Global blocks are never copied
    /// to the heap nor freed by the runtime: the caller frees the memory (<see cref="NativeMemory.Free"/>) once it cannot be called.
    /// </summary>
    public static nint Block(nint invoke, nint context)
    {
        var block = (nint*)NativeMemory.AllocZeroed(8 * 7);
        var descriptor = (nuint*)(block + 5); // the descriptor lives in the same allocation, after the captured value
        block[0] = NativeLibrary.GetExport(NativeLibrary.Load(LibSystem), "_NSConcreteGlobalBlock");
        ((int*)block)[2] = BlockIsGlobal;
        block[2] = invoke;
        block[3] = (nint)descriptor;
        block[4] = context;
        descriptor[0] = 0;
        descriptor[1] = 8 * 5;                // the literal's size: isa, flags + reserved, invoke, descriptor, context
        return (nint)block;
    }

    /// <summary>The context a block from <see cref="Block"/> carries.</summary>
    public static nint BlockContext(nint block) => ((nint*)block)[4];

    [LibraryImport(Runtime, EntryPoint = "objc_getClass", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetClass(string name);

    [LibraryImport(Runtime, EntryPoint = "sel_registerName", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RegisterName(string name);

    [LibraryImport(Runtime, EntryPoint = "objc_getProtocol", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint Protocol(string name);

    [LibraryImport(Runtime, EntryPoint = "objc_allocateClassPair", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint AllocateClassPair(nint superclass, string name, nuint extraBytes);

    [LibraryImport(Runtime, EntryPoint = "objc_registerClassPair")]
    public static partial void RegisterClassPair(nint cls);

    [LibraryImport(Runtime, EntryPoint = "class_addMethod", StringMarshalling = StringMarshalling.Utf8)]
    public static partial byte AddMethod(nint cls, nint selector, nint implementation, string types);

    [LibraryImport(Runtime, EntryPoint = "class_addProtocol")]
    public static partial byte AddProtocol(nint cls, nint protocol);

    [LibraryImport(Runtime, EntryPoint = "class_addIvar", StringMarshalling = StringMarshalling.Utf8)]
    public static partial byte AddIvar(nint cls, string name, nuint size, byte alignmentLog2, string types);

    [LibraryImport(Runtime, EntryPoint = "class_getInstanceVariable", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint InstanceVariable(nint cls, string name);

    [LibraryImport(Runtime, EntryPoint = "ivar_getOffset")]
    public static partial nint IvarOffset(nint ivar);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial nint Send(nint receiver, nint selector);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial nint Send(nint receiver, nint selector, nint a);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial nint Send(nint receiver, nint selector, nint a, nint b);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial nint Send(nint receiver, nint selector, nint a, nint b, nint c);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial byte SendBool(nint receiver, nint selector, nint a, nint b, nint c, nint d);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial byte SendBool(nint receiver, nint selector, nint a, nint b, nint c);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial nuint SendUInt(nint receiver, nint selector);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial uint SendUInt32(nint receiver, nint selector);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial nint SendIndex(nint receiver, nint selector, nuint index);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial void SendLong(nint receiver, nint selector, long value);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial void SendBool(nint receiver, nint selector, byte value);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial void SendTime(nint receiver, nint selector, CMTime value);

    [LibraryImport(Runtime, EntryPoint = "objc_msgSend")]
    public static partial void SendRect(nint receiver, nint selector, CGRect value);

    [LibraryImport(LibSystem, EntryPoint = "dispatch_queue_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint DispatchQueueCreate(string label, nint attributes);

    [LibraryImport(LibSystem, EntryPoint = "dispatch_release")]
    public static partial void DispatchRelease(nint obj);

    [LibraryImport(CoreMedia, EntryPoint = "CMSampleBufferGetImageBuffer")]
    public static partial nint SampleBufferImage(nint sampleBuffer);

    [LibraryImport(CoreVideo, EntryPoint = "CVPixelBufferLockBaseAddress")]
    public static partial int LockBaseAddress(nint pixelBuffer, ulong flags);

    [LibraryImport(CoreVideo, EntryPoint = "CVPixelBufferUnlockBaseAddress")]
    public static partial int UnlockBaseAddress(nint pixelBuffer, ulong flags);

    [LibraryImport(CoreVideo, EntryPoint = "CVPixelBufferGetBaseAddress")]
    public static partial byte* BaseAddress(nint pixelBuffer);

    [LibraryImport(CoreVideo, EntryPoint = "CVPixelBufferGetBytesPerRow")]
    public static partial nuint BytesPerRow(nint pixelBuffer);

    [LibraryImport(CoreVideo, EntryPoint = "CVPixelBufferGetWidth")]
    public static partial nuint PixelWidth(nint pixelBuffer);

    [LibraryImport(CoreVideo, EntryPoint = "CVPixelBufferGetHeight")]
    public static partial nuint PixelHeight(nint pixelBuffer);

    [LibraryImport(CoreVideo, EntryPoint = "CVPixelBufferGetPixelFormatType")]
    public static partial uint PixelFormat(nint pixelBuffer);

    [LibraryImport(CoreGraphics, EntryPoint = "CGDisplayCopyDisplayMode")]
    public static partial nint CopyDisplayMode(uint display);

    [LibraryImport(CoreGraphics, EntryPoint = "CGDisplayModeGetPixelWidth")]
    public static partial nuint ModePixelWidth(nint mode);

    [LibraryImport(CoreGraphics, EntryPoint = "CGDisplayModeRelease")]
    public static partial void ModeRelease(nint mode);
}

/// <summary>Core Media time (value / timescale seconds).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CMTime
{
    public long Value;
    public int Timescale;
    public uint Flags;
    public long Epoch;
}
