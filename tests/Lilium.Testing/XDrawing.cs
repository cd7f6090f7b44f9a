using System.Runtime.InteropServices;

namespace Lilium.Testing;

/// <summary>
/// A second X client on a test display that paints solid rectangles on the root window (what a capture test or the
/// host benchmark looks for), and hands its connection to callers that query the server (<see cref="Handle"/>).
/// </summary>
public sealed partial class XDrawing : IDisposable
{
    private XDrawing(nint display) => Handle = display;

    /// <summary>The Xlib <c>Display*</c>, for further queries by the caller.</summary>
    public nint Handle { get; private set; }

    /// <summary>Connects to <paramref name="display"/>, retrying for up to five seconds while the server comes up.</summary>
    public static async Task<XDrawing> OpenAsync(string display)
    {
        var handle = XOpenDisplay(display);
        for (var i = 0; handle == 0 && i < 50; i++)
        {
            await Task.Delay(100);
            handle = XOpenDisplay(display);
        }

        return handle != 0 ? new XDrawing(handle) : throw new InvalidOperationException($"cannot open X display {display}");
    }

    /// <summary>Fills a rectangle of the root window with an RGB colour (0xRRGGBB) and waits until the server did it.</summary>
    public void Fill(int x, int y, int width, int height, uint rgb) => Fill([new FilledRectangle(x, y, width, height, rgb)]);

    /// <summary>Fills several rectangles with one graphics context and one round trip (a painted frame).</summary>
    public void Fill(ReadOnlySpan<FilledRectangle> rectangles)
    {
        var root = XDefaultRootWindow(Handle);
        var gc = XCreateGC(Handle, root, 0, 0);
        foreach (var r in rectangles)
        {
            _ = XSetForeground(Handle, gc, r.Rgb);
            _ = XFillRectangle(Handle, root, gc, r.X, r.Y, (uint)r.Width, (uint)r.Height);
        }

        _ = XFreeGC(Handle, gc);
        _ = XSync(Handle, 0);
    }

    public void Dispose()
    {
        if (Handle != 0)
        {
            _ = XCloseDisplay(Handle);
            Handle = 0;
        }
    }

    [LibraryImport("libX11.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint XOpenDisplay(string name);

    [LibraryImport("libX11.so.6")]
    private static partial int XCloseDisplay(nint display);

    [LibraryImport("libX11.so.6")]
    private static partial nint XDefaultRootWindow(nint display);

    [LibraryImport("libX11.so.6")]
    private static partial nint XCreateGC(nint display, nint drawable, ulong mask, nint values);

    [LibraryImport("libX11.so.6")]
    private static partial int XSetForeground(nint display, nint gc, ulong pixel);

    [LibraryImport("libX11.so.6")]
    private static partial int XFillRectangle(nint display, nint drawable, nint gc, int x, int y, uint width, uint height);

    [LibraryImport("libX11.so.6")]
    private static partial int XFreeGC(nint display, nint gc);

    [LibraryImport("libX11.so.6")]
    private static partial int XSync(nint display, int discard);
}

/// <summary>A rectangle of the root window and its colour (0xRRGGBB).</summary>
public readonly record struct FilledRectangle(int X, int Y, int Width, int Height, uint Rgb);
