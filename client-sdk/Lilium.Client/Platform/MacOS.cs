using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Lilium.Client.Platform;

/// <summary>Core Graphics / Core Foundation entry points the macOS host uses (plain C: no Objective-C runtime needed).</summary>
[SupportedOSPlatform("macos")]
internal static unsafe partial class MacOS
{
    private const string CoreGraphics = "/System/Library/Frameworks/CoreGraphics.framework/CoreGraphics";
    private const string CoreFoundation = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation";
    private const string ApplicationServices = "/System/Library/Frameworks/ApplicationServices.framework/ApplicationServices";

    [LibraryImport(CoreGraphics)]
    public static partial int CGGetActiveDisplayList(uint maxDisplays, uint* displays, uint* count);

    [LibraryImport(CoreGraphics)]
    public static partial CGRect CGDisplayBounds(uint display);

    [LibraryImport(CoreGraphics)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CGPreflightScreenCaptureAccess();

    [LibraryImport(CoreGraphics)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool CGRequestScreenCaptureAccess();

    [LibraryImport(CoreGraphics)]
    public static partial nint CGDisplayCreateImageForRect(uint display, CGRect rect);

    [LibraryImport(CoreGraphics)]
    public static partial nuint CGImageGetWidth(nint image);

    [LibraryImport(CoreGraphics)]
    public static partial nuint CGImageGetHeight(nint image);

    [LibraryImport(CoreGraphics)]
    public static partial nuint CGImageGetBytesPerRow(nint image);

    [LibraryImport(CoreGraphics)]
    public static partial nuint CGImageGetBitsPerPixel(nint image);

    [LibraryImport(CoreGraphics)]
    public static partial uint CGImageGetBitmapInfo(nint image);

    [LibraryImport(CoreGraphics)]
    public static partial nint CGImageGetDataProvider(nint image);

    [LibraryImport(CoreGraphics)]
    public static partial nint CGDataProviderCopyData(nint provider);

    [LibraryImport(CoreGraphics)]
    public static partial nint CGEventCreate(nint source);

    [LibraryImport(CoreGraphics)]
    public static partial CGPoint CGEventGetLocation(nint inputEvent);

    [LibraryImport(CoreGraphics)]
    public static partial nint CGEventCreateKeyboardEvent(nint source, ushort keyCode, [MarshalAs(UnmanagedType.U1)] bool keyDown);

    [LibraryImport(CoreGraphics)]
    public static partial nint CGEventCreateMouseEvent(nint source, uint type, CGPoint position, uint button);

    /// <summary>The non-variadic form (macOS 10.13+): variadic calls are not portable to arm64 from P/Invoke.</summary>
    [LibraryImport(CoreGraphics)]
    public static partial nint CGEventCreateScrollWheelEvent2(nint source, uint units, uint wheelCount, int wheel1, int wheel2, int wheel3);

    [LibraryImport(CoreGraphics)]
    public static partial void CGEventSetIntegerValueField(nint inputEvent, uint field, long value);

    [LibraryImport(CoreGraphics)]
    public static partial void CGEventPost(uint tap, nint inputEvent);

    [LibraryImport(CoreFoundation)]
    public static partial byte* CFDataGetBytePtr(nint data);

    [LibraryImport(CoreFoundation)]
    public static partial void CFRelease(nint value);

    [LibraryImport(ApplicationServices)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool AXIsProcessTrusted();
}

/// <summary>Core Graphics point (global display coordinates, points).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CGPoint
{
    public double X;
    public double Y;
}

/// <summary>Core Graphics rectangle.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CGRect
{
    public double X;
    public double Y;
    public double Width;
    public double Height;
}
