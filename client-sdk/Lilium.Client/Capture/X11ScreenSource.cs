using System.Diagnostics;
using System.Runtime.InteropServices;
using static Lilium.Client.Capture.X11Native;

namespace Lilium.Client.Capture;

/// <summary>
/// Grabs the X11 root window (all of it, one RandR monitor, or a rectangle) with MIT-SHM
/// (<c>XShmGetImage</c> into a SysV segment the server writes directly), falling back to
/// <c>XGetImage</c> when the server has no MIT-SHM (e.g. a remote display). The pointer is drawn
/// in from XFixes when asked. Needs a 24/32-bit TrueColor default visual.
/// </summary>
internal sealed unsafe class X11ScreenSource : IScreenSource
{
    private readonly nint _display;
    private readonly nint _root;
    private readonly ScreenRegion _area;
    private readonly bool _cursor;
    private readonly nint _shmInfo;
    private readonly nint _image;
    private readonly nint _shmAddress;
    private nint _fallbackImage;
    private bool _disposed;

    private X11ScreenSource(nint display, nint root, ScreenRegion area, bool cursor, nint shmInfo, nint image, nint shmAddress)
    {
        _display = display;
        _root = root;
        _area = area;
        _cursor = cursor;
        _shmInfo = shmInfo;
        _image = image;
        _shmAddress = shmAddress;
    }

    public int Width => _area.Width;

    public int Height => _area.Height;

    public ScreenRegion Area => _area;

    /// <summary>True when frames come through shared memory (false: XGetImage copies over the socket).</summary>
    public bool UsesSharedMemory => _image != 0;

    public static X11ScreenSource Open(ScreenSelection selection)
    {
        var name = selection.Display ?? Environment.GetEnvironmentVariable("DISPLAY");
        if (string.IsNullOrEmpty(name))
        {
            throw new LiliumException("No X11 display: set DISPLAY or pass --display (e.g. :0).");
        }

        nint display;
        try
        {
            InstallErrorHandler();
            display = XOpenDisplay(name);
        }
        catch (DllNotFoundException ex)
        {
            throw new LiliumException("libX11 is not installed (apt install libx11-6 libxext6 libxfixes3 libxrandr2).", ex);
        }

        if (display == 0)
        {
            throw new LiliumException($"Cannot open X11 display '{name}' (is the X server running and DISPLAY/XAUTHORITY right?).");
        }

        try
        {
            var screen = XDefaultScreen(display);
            var root = XDefaultRootWindow(display);
            var depth = XDefaultDepth(display, screen);
            if (depth is not (24 or 32))
            {
                throw new LiliumException($"The X11 screen has depth {depth}; capture needs 24 or 32 bits per pixel.");
            }

            var full = new ScreenRegion(0, 0, XDisplayWidth(display, screen), XDisplayHeight(display, screen));
            var area = full;
            if (selection.Region is { } region)
            {
                area = region;
            }
            else if (selection.Monitor is { } index)
            {
                var monitors = Monitors(display, root);
                if (index < 0 || index >= monitors.Count)
                {
                    throw new LiliumException($"Monitor {index} does not exist; this display has {monitors.Count} (0..{monitors.Count - 1}).");
                }

                area = monitors[index];
            }

            if (area.X < 0 || area.Y < 0 || area.X + area.Width > full.Width || area.Y + area.Height > full.Height)
            {
                throw new LiliumException($"The region {area.Width}x{area.Height}+{area.X}+{area.Y} is outside the {full.Width}x{full.Height} screen.");
            }

            area = area with { Width = area.Width & ~1, Height = area.Height & ~1 }; // I420 needs even sizes
            var cursor = selection.Cursor && HasXFixes(display);
            if (XShmQueryExtension(display) != 0 && TryCreateShm(display, screen, depth, area, out var info, out var image, out var address))
            {
                return new X11ScreenSource(display, root, area, cursor, info, image, address);
            }

            return new X11ScreenSource(display, root, area, cursor, 0, 0, 0);
        }
        catch
        {
            XCloseDisplay(display);
            throw;
        }
    }

    /// <summary>The RandR monitors of a display, for choosing one.</summary>
    public static IReadOnlyList<ScreenRegion> ListMonitors(string? displayName)
    {
        var display = XOpenDisplay(displayName ?? Environment.GetEnvironmentVariable("DISPLAY"));
        if (display == 0)
        {
            return [];
        }

        try
        {
            return Monitors(display, XDefaultRootWindow(display));
        }
        finally
        {
            XCloseDisplay(display);
        }
    }

    private static bool HasXFixes(nint display)
    {
        try
        {
            return XFixesQueryExtension(display, out _, out _) != 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    private static bool TryCreateShm(nint display, int screen, int depth, ScreenRegion area, out nint info, out nint image, out nint address)
    {
        info = Marshal.AllocHGlobal(ShmInfoSize);
        new Span<byte>((void*)info, ShmInfoSize).Clear();
        address = 0;
        image = XShmCreateImage(display, XDefaultVisual(display, screen), (uint)depth, ZPixmap, 0, info, (uint)area.Width, (uint)area.Height);
        if (image == 0 || *(int*)(image + XImageBitsPerPixel) != 32)
        {
            return Fail(ref image, ref info);
        }

        var bytes = (nuint)(*(int*)(image + XImageBytesPerLine) * area.Height);
        var id = ShmGet(IpcPrivate, bytes, IpcCreat | 0x180);
        if (id < 0)
        {
            return Fail(ref image, ref info);
        }

        address = ShmAt(id, 0, 0);
        if (address == -1)
        {
            ShmCtl(id, IpcRmid, 0);
            address = 0;
            return Fail(ref image, ref info);
        }

        *(int*)(info + ShmInfoShmid) = id;
        *(nint*)(info + ShmInfoAddr) = address;
        *(int*)(info + ShmInfoReadOnly) = 0;
        *(nint*)(image + XImageData) = address;
        var attached = XShmAttach(display, info) != 0;
        XSync(display, 0);
        ShmCtl(id, IpcRmid, 0); // freed once both sides detach
        if (!attached)
        {
            ShmDt(address);
            address = 0;
            return Fail(ref image, ref info);
        }

        return true;

        static bool Fail(ref nint image, ref nint info)
        {
            if (image != 0)
            {
                *(nint*)(image + XImageData) = 0;
                XDestroyImage(image);
                image = 0;
            }

            Marshal.FreeHGlobal(info);
            info = 0;
            return false;
        }
    }

    public ScreenFrame Capture()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var at = Stopwatch.GetTimestamp();
        nint image;
        if (_image != 0)
        {
            if (XShmGetImage(_display, _root, _image, _area.X, _area.Y, AllPlanes) == 0)
            {
                throw new LiliumException("XShmGetImage failed (the display closed or changed size).");
            }

            image = _image;
        }
        else
        {
            if (_fallbackImage != 0)
            {
                XDestroyImage(_fallbackImage);
            }

            _fallbackImage = XGetImage(_display, _root, _area.X, _area.Y, (uint)_area.Width, (uint)_area.Height, AllPlanes, ZPixmap);
            if (_fallbackImage == 0)
            {
                throw new LiliumException("XGetImage failed (the display closed or changed size).");
            }

            image = _fallbackImage;
        }

        var data = *(nint*)(image + XImageData);
        var stride = *(int*)(image + XImageBytesPerLine);
        if (_cursor)
        {
            DrawCursor(data, stride);
        }

        return new ScreenFrame(data, _area.Width, _area.Height, stride, at);
    }

    /// <summary>Blends the XFixes cursor image (premultiplied ARGB, one per unsigned long) over the frame.</summary>
    private void DrawCursor(nint data, int stride)
    {
        var cursor = XFixesGetCursorImage(_display);
        if (cursor == 0)
        {
            return;
        }

        try
        {
            var c = (byte*)cursor;
            int cx = *(short*)c, cy = *(short*)(c + 2);
            int cw = *(ushort*)(c + 4), ch = *(ushort*)(c + 6);
            int hx = *(ushort*)(c + 8), hy = *(ushort*)(c + 10);
            var pixels = *(ulong**)(c + 24);
            var left = cx - hx - _area.X;
            var top = cy - hy - _area.Y;
            for (var row = Math.Max(0, -top); row < ch && top + row < _area.Height; row++)
            {
                var line = (byte*)data + ((top + row) * stride);
                for (var col = Math.Max(0, -left); col < cw && left + col < _area.Width; col++)
                {
                    var argb = (uint)pixels[(row * cw) + col];
                    var a = argb >> 24;
                    if (a == 0)
                    {
                        continue;
                    }

                    var p = line + ((left + col) * 4);
                    var inverse = 255 - a;
                    p[0] = (byte)((argb & 0xFF) + ((p[0] * inverse) / 255));
                    p[1] = (byte)(((argb >> 8) & 0xFF) + ((p[1] * inverse) / 255));
                    p[2] = (byte)(((argb >> 16) & 0xFF) + ((p[2] * inverse) / 255));
                }
            }
        }
        finally
        {
            XFree(cursor);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_image != 0)
        {
            XShmDetach(_display, _shmInfo);
            XSync(_display, 0);
            *(nint*)(_image + XImageData) = 0;
            XDestroyImage(_image);
            ShmDt(_shmAddress);
            Marshal.FreeHGlobal(_shmInfo);
        }

        if (_fallbackImage != 0)
        {
            XDestroyImage(_fallbackImage);
        }

        XCloseDisplay(_display);
    }
}
