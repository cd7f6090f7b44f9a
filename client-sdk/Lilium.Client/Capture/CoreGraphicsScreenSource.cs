using System.Diagnostics;
using System.Runtime.Versioning;
using Lilium.Client.Platform;
using static Lilium.Client.Platform.MacOS;

namespace Lilium.Client.Capture;

/// <summary>
/// macOS screen capture with Core Graphics: <c>CGDisplayCreateImageForRect</c> of the chosen display (or a
/// rectangle of it, in points) each frame, its pixels read through <c>CGDataProviderCopyData</c> (BGRA:
/// 32-bit little-endian, alpha first). Needs the Screen Recording permission. The pointer is not in the
/// image. <c>CGDisplayCreateImage*</c> is deprecated since macOS 14 (ScreenCaptureKit replaces it) and
/// copies each frame; built on Linux, not run: see docs/host.md.
/// </summary>
[SupportedOSPlatform("macos")]
internal sealed class CoreGraphicsScreenSource : IScreenSource
{
    private const uint ByteOrder32Little = 2 << 12, ByteOrderMask = 0x7000, AlphaMask = 0x1F;
    private readonly uint _display;
    private readonly CGRect _rect;
    private nint _image;
    private nint _data;

    private CoreGraphicsScreenSource(uint display, CGRect rect, int width, int height, ScreenRegion area)
    {
        _display = display;
        _rect = rect;
        Width = width;
        Height = height;
        Area = area;
    }

    public int Width { get; }

    public int Height { get; }

    public ScreenRegion Area { get; }

    /// <summary>Opens display <c>Monitor</c> (0 = the first active display); a region is in points from that display's top-left.</summary>
    public static unsafe CoreGraphicsScreenSource Open(ScreenSelection selection)
    {
        try
        {
            if (!CGPreflightScreenCaptureAccess())
            {
                CGRequestScreenCaptureAccess(); // shows the system prompt once
                throw new LiliumException("macOS has not allowed this program to record the screen: allow it in System Settings → Privacy & Security → Screen Recording, then start again.");
            }

            var displays = stackalloc uint[16];
            uint count;
            if (CGGetActiveDisplayList(16, displays, &count) != 0 || count == 0)
            {
                throw new LiliumException("macOS reported no active display.");
            }

            var index = selection.Monitor ?? 0;
            if (index < 0 || index >= count)
            {
                throw new LiliumException($"Monitor {index} does not exist; this Mac has {count} (0..{count - 1}).");
            }

            var display = displays[index];
            var bounds = CGDisplayBounds(display);
            var rect = new CGRect { X = 0, Y = 0, Width = bounds.Width, Height = bounds.Height };
            if (selection.Region is { } r)
            {
                if (r.X + r.Width > bounds.Width || r.Y + r.Height > bounds.Height)
                {
                    throw new LiliumException($"The region {r.Width}x{r.Height}+{r.X}+{r.Y} is outside display {index} ({bounds.Width}x{bounds.Height} points).");
                }

                rect = new CGRect { X = r.X, Y = r.Y, Width = r.Width, Height = r.Height };
            }

            // One grab tells the pixel size (points × the display's scale).
            var image = CGDisplayCreateImageForRect(display, rect);
            if (image == 0)
            {
                throw new LiliumException("CGDisplayCreateImageForRect returned nothing (on macOS 15 or later it may be unavailable: ScreenCaptureKit is needed).");
            }

            var width = (int)CGImageGetWidth(image) & ~1;
            var height = (int)CGImageGetHeight(image) & ~1;
            CFRelease(image);
            var area = new ScreenRegion((int)(bounds.X + rect.X), (int)(bounds.Y + rect.Y), (int)rect.Width, (int)rect.Height);
            return new CoreGraphicsScreenSource(display, rect, width, height, area);
        }
        catch (DllNotFoundException ex)
        {
            throw new LiliumException("The CoreGraphics framework was not found.", ex);
        }
    }

    public unsafe ScreenFrame Capture()
    {
        Free();
        var at = Stopwatch.GetTimestamp();
        _image = CGDisplayCreateImageForRect(_display, _rect);
        if (_image == 0)
        {
            throw new LiliumException("The display went away (CGDisplayCreateImageForRect returned nothing).");
        }

        var info = CGImageGetBitmapInfo(_image); // 32-bit little-endian with alpha (or padding) first: B, G, R, A in memory
        if (CGImageGetBitsPerPixel(_image) != 32 || (info & ByteOrderMask) != ByteOrder32Little || (info & AlphaMask) is not (2 or 4 or 6))
        {
            throw new LiliumException($"The display image is not 32-bit BGRA (bitmap info 0x{info:X}); capture cannot use it.");
        }

        if ((int)CGImageGetWidth(_image) < Width || (int)CGImageGetHeight(_image) < Height)
        {
            throw new LiliumException("The display's resolution changed; start sharing again.");
        }

        _data = CGDataProviderCopyData(CGImageGetDataProvider(_image));
        var pixels = CFDataGetBytePtr(_data);
        return new ScreenFrame((nint)pixels, Width, Height, (int)CGImageGetBytesPerRow(_image), at);
    }

    private void Free()
    {
        if (_data != 0)
        {
            CFRelease(_data);
            _data = 0;
        }

        if (_image != 0)
        {
            CFRelease(_image);
            _image = 0;
        }
    }

    public void Dispose() => Free();
}
