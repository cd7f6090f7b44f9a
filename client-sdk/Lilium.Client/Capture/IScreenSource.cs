using Lilium.Client.Platform;

namespace Lilium.Client.Capture;

/// <summary>
/// A screen (or a region of it) that can be grabbed on demand as 32-bit BGRA pixels. One instance
/// belongs to one capture thread; <see cref="Capture"/> is not thread-safe.
/// </summary>
public interface IScreenSource : IDisposable
{
    /// <summary>Width of the captured area in pixels.</summary>
    int Width { get; }

    /// <summary>Height of the captured area in pixels.</summary>
    int Height { get; }

    /// <summary>
    /// Where the captured pixels are on the desktop, in the coordinates the OS's input injection uses
    /// (X11 root window, Windows virtual desktop, macOS global display points): absolute pointer input maps onto it.
    /// </summary>
    ScreenRegion Area => new(0, 0, Width, Height);

    /// <summary>
    /// Grabs the area now. The returned frame's pixels stay valid until the next call or disposal.
    /// Throws <see cref="LiliumException"/> if the display went away.
    /// </summary>
    ScreenFrame Capture();
}

/// <summary>One grabbed screen image: BGRA (byte order B, G, R, X), <paramref name="Stride"/> bytes per row.</summary>
/// <param name="Pixels">Pointer to the first pixel of the top row; valid until the source's next capture.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Stride">Bytes from one row to the next.</param>
/// <param name="CapturedAt">Stopwatch timestamp of the grab (see <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</param>
public readonly record struct ScreenFrame(nint Pixels, int Width, int Height, int Stride, long CapturedAt);

/// <summary>Which part of which screen to capture.</summary>
/// <param name="Display">The X11 display name (e.g. <c>:0</c>); null means <c>$DISPLAY</c>.</param>
/// <param name="Monitor">A monitor index (0 = first) from the RandR/Xinerama layout, or null for the whole root window.</param>
/// <param name="Region">An explicit rectangle on the root window, which wins over <paramref name="Monitor"/>.</param>
/// <param name="Cursor">Draw the pointer into the frames (XFixes).</param>
public sealed record ScreenSelection(string? Display = null, int? Monitor = null, ScreenRegion? Region = null, bool Cursor = true);

/// <summary>A rectangle in root-window pixels.</summary>
public readonly record struct ScreenRegion(int X, int Y, int Width, int Height)
{
    /// <summary>Parses <c>WxH+X+Y</c> (X11 geometry); false on anything else.</summary>
    public static bool TryParse(string? text, out ScreenRegion region)
    {
        region = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var plus = text.Split('+');
        var size = plus[0].Split('x');
        if (plus.Length != 3 || size.Length != 2
            || !int.TryParse(size[0], out var w) || !int.TryParse(size[1], out var h)
            || !int.TryParse(plus[1], out var x) || !int.TryParse(plus[2], out var y)
            || w < 16 || h < 16 || x < 0 || y < 0 || w > 16384 || h > 16384)
        {
            return false;
        }

        region = new ScreenRegion(x, y, w & ~1, h & ~1);
        return true;
    }
}

/// <summary>Opens the capture back end for this OS (<see cref="HostPlatform.Screen"/>).</summary>
public static class ScreenCapture
{
    /// <summary>
    /// X11 on Linux (XShm; tested under Xvfb); DXGI Desktop Duplication on Windows, ScreenCaptureKit on macOS 12.3+
    /// and Core Graphics on older macOS (built, untested: docs/host.md). <see cref="ScreenSelection.Display"/> is X11's alone; on
    /// Windows and macOS <see cref="ScreenSelection.Monitor"/> picks the output and a region is relative to it.
    /// </summary>
    public static IScreenSource Open(ScreenSelection selection) => HostPlatform.Screen(HostPlatform.Current, Environment.OSVersion.Version) switch
    {
        ScreenBackend.X11 when OperatingSystem.IsLinux() => X11ScreenSource.Open(selection),
        ScreenBackend.DesktopDuplication when OperatingSystem.IsWindows() => DxgiScreenSource.Open(selection),
        ScreenBackend.ScreenCaptureKit when OperatingSystem.IsMacOSVersionAtLeast(12, 3) => ScreenCaptureKitSource.Open(selection),
        ScreenBackend.CoreGraphics when OperatingSystem.IsMacOS() => CoreGraphicsScreenSource.Open(selection),
        _ => throw new PlatformNotSupportedException("Screen capture is implemented for Linux (X11), Windows and macOS only (docs/host.md)."),
    };

    /// <summary>The monitors (RandR) of an X11 display, in root-window pixels; empty elsewhere.</summary>
    public static IReadOnlyList<ScreenRegion> ListMonitors(string? display) =>
        OperatingSystem.IsLinux() ? X11ScreenSource.ListMonitors(display) : [];
}
