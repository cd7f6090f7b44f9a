using System.Runtime.InteropServices;

namespace Lilium.Client.Capture;

/// <summary>
/// The few Xlib, MIT-SHM, XFixes, RandR and SysV shm entry points the capture and injection code
/// use, bound to Debian 12's sonames (libx11-6, libxext6, libxfixes3, libxrandr2). Struct offsets
/// are for x86-64 and were read from the -dev headers of those versions (docs/host.md).
/// </summary>
internal static unsafe partial class X11Native
{
    public const string LibX11 = "libX11.so.6";
    public const string LibXext = "libXext.so.6";
    public const string LibXfixes = "libXfixes.so.3";
    public const string LibXrandr = "libXrandr.so.2";
    public const string LibC = "libc";

    public const int ZPixmap = 2;
    public const ulong AllPlanes = ulong.MaxValue;

    // XImage (X11/Xlib.h): int width, height, xoffset, format; char* data @16; … int depth @40, bytes_per_line @44, bits_per_pixel @48.
    public const int XImageWidth = 0;
    public const int XImageHeight = 4;
    public const int XImageData = 16;
    public const int XImageDepth = 40;
    public const int XImageBytesPerLine = 44;
    public const int XImageBitsPerPixel = 48;

    // XShmSegmentInfo (X11/extensions/XShm.h): ShmSeg shmseg @0; int shmid @8; char* shmaddr @16; Bool readOnly @24; size 32.
    public const int ShmInfoSize = 32;
    public const int ShmInfoShmid = 8;
    public const int ShmInfoAddr = 16;
    public const int ShmInfoReadOnly = 24;

    // XFixesCursorImage: short x @0, y @2; unsigned short width @4, height @6, xhot @8, yhot @10; unsigned long* pixels @24 (one ARGB value per unsigned long).
    // XRRMonitorInfo: Atom name; Bool primary @8, automatic @12; int noutput @16, x @20, y @24, width @28, height @32, mwidth, mheight; RROutput* @48; size 56.
    public const int MonitorInfoSize = 56;

    [LibraryImport(LibX11, EntryPoint = "XOpenDisplay", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint XOpenDisplay(string? name);

    [LibraryImport(LibX11, EntryPoint = "XCloseDisplay")]
    public static partial int XCloseDisplay(nint display);

    [LibraryImport(LibX11, EntryPoint = "XDefaultRootWindow")]
    public static partial nint XDefaultRootWindow(nint display);

    [LibraryImport(LibX11, EntryPoint = "XDefaultScreen")]
    public static partial int XDefaultScreen(nint display);

    [LibraryImport(LibX11, EntryPoint = "XDefaultVisual")]
    public static partial nint XDefaultVisual(nint display, int screen);

    [LibraryImport(LibX11, EntryPoint = "XDefaultDepth")]
    public static partial int XDefaultDepth(nint display, int screen);

    [LibraryImport(LibX11, EntryPoint = "XDisplayWidth")]
    public static partial int XDisplayWidth(nint display, int screen);

    [LibraryImport(LibX11, EntryPoint = "XDisplayHeight")]
    public static partial int XDisplayHeight(nint display, int screen);

    [LibraryImport(LibX11, EntryPoint = "XGetImage")]
    public static partial nint XGetImage(nint display, nint drawable, int x, int y, uint width, uint height, ulong planeMask, int format);

    [LibraryImport(LibX11, EntryPoint = "XDestroyImage")]
    public static partial int XDestroyImage(nint image);

    [LibraryImport(LibX11, EntryPoint = "XSync")]
    public static partial int XSync(nint display, int discard);

    [LibraryImport(LibX11, EntryPoint = "XFlush")]
    public static partial int XFlush(nint display);

    [LibraryImport(LibX11, EntryPoint = "XFree")]
    public static partial int XFree(nint data);

    [LibraryImport(LibX11, EntryPoint = "XSetErrorHandler")]
    public static partial nint XSetErrorHandler(delegate* unmanaged<nint, nint, int> handler);

    [LibraryImport(LibXext, EntryPoint = "XShmQueryExtension")]
    public static partial int XShmQueryExtension(nint display);

    [LibraryImport(LibXext, EntryPoint = "XShmCreateImage")]
    public static partial nint XShmCreateImage(nint display, nint visual, uint depth, int format, nint data, nint shminfo, uint width, uint height);

    [LibraryImport(LibXext, EntryPoint = "XShmAttach")]
    public static partial int XShmAttach(nint display, nint shminfo);

    [LibraryImport(LibXext, EntryPoint = "XShmDetach")]
    public static partial int XShmDetach(nint display, nint shminfo);

    [LibraryImport(LibXext, EntryPoint = "XShmGetImage")]
    public static partial int XShmGetImage(nint display, nint drawable, nint image, int x, int y, ulong planeMask);

    [LibraryImport(LibXfixes, EntryPoint = "XFixesQueryExtension")]
    public static partial int XFixesQueryExtension(nint display, out int eventBase, out int errorBase);

    [LibraryImport(LibXfixes, EntryPoint = "XFixesGetCursorImage")]
    public static partial nint XFixesGetCursorImage(nint display);

    [LibraryImport(LibXrandr, EntryPoint = "XRRGetMonitors")]
    public static partial nint XRRGetMonitors(nint display, nint window, int getActive, out int count);

    [LibraryImport(LibXrandr, EntryPoint = "XRRFreeMonitors")]
    public static partial void XRRFreeMonitors(nint monitors);

    [LibraryImport(LibC, EntryPoint = "shmget", SetLastError = true)]
    public static partial int ShmGet(int key, nuint size, int flags);

    [LibraryImport(LibC, EntryPoint = "shmat", SetLastError = true)]
    public static partial nint ShmAt(int id, nint address, int flags);

    [LibraryImport(LibC, EntryPoint = "shmdt")]
    public static partial int ShmDt(nint address);

    [LibraryImport(LibC, EntryPoint = "shmctl")]
    public static partial int ShmCtl(int id, int command, nint buffer);

    public const int IpcPrivate = 0;
    public const int IpcCreat = 0x200;
    public const int IpcRmid = 0;

    /// <summary>The monitors RandR reports (x, y, width, height), primary first as listed.</summary>
    public static List<ScreenRegion> Monitors(nint display, nint root)
    {
        var result = new List<ScreenRegion>();
        nint list;
        int count;
        try
        {
            list = XRRGetMonitors(display, root, 1, out count);
        }
        catch (DllNotFoundException)
        {
            return result;
        }

        if (list == 0)
        {
            return result;
        }

        for (var i = 0; i < count; i++)
        {
            var m = (byte*)list + (i * MonitorInfoSize);
            result.Add(new ScreenRegion(*(int*)(m + 20), *(int*)(m + 24), *(int*)(m + 28), *(int*)(m + 32)));
        }

        XRRFreeMonitors(list);
        return result;
    }

    /// <summary>An X error handler that does not exit the process (Xlib's default does).</summary>
    [UnmanagedCallersOnly]
    public static int IgnoreErrors(nint display, nint errorEvent) => 0;

    private static int _handlerInstalled;

    /// <summary>Installs <see cref="IgnoreErrors"/> once per process (Xlib's handler is process-wide).</summary>
    public static void InstallErrorHandler()
    {
        if (Interlocked.Exchange(ref _handlerInstalled, 1) == 0)
        {
            XSetErrorHandler(&IgnoreErrors);
        }
    }
}
