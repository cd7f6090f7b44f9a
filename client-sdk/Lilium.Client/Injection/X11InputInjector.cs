using System.Runtime.InteropServices;
using Lilium.Client.Capture;
using Lilium.Input;

namespace Lilium.Client.Injection;

/// <summary>
/// Viewers' keyboard and mouse through the XTest extension on its own X connection: keys by HID
/// usage → evdev → X keycode (evdev + 8, layout-independent), absolute pointer positions mapped
/// across the shared area, relative motion, buttons 1–3 and 8–9, and the wheel as buttons 4–7
/// (120 units a click; dy &gt; 0 = wheel forward, away from the user, which scrolls up; dx &gt; 0 right, as on Windows). Controllers go
/// to <see cref="UinputGamepads"/>.
/// </summary>
internal sealed partial class X11InputInjector : HeldInputInjector
{
    private const string LibXtst = "libXtst.so.6";
    private readonly nint _display;
    private readonly ScreenRegion _area;
    private readonly UinputGamepads? _gamepads;
    private int _wheelX;
    private int _wheelY;

    private X11InputInjector(nint display, ScreenRegion area, UinputGamepads? gamepads)
    {
        _display = display;
        _area = area;
        _gamepads = gamepads;
    }

    public static X11InputInjector Open(string? name, ScreenRegion area, Action<string> log)
    {
        name ??= Environment.GetEnvironmentVariable("DISPLAY");
        X11Native.InstallErrorHandler();
        var display = X11Native.XOpenDisplay(name);
        if (display == 0)
        {
            throw new LiliumException($"Cannot open X11 display '{name}' for input injection.");
        }

        try
        {
            if (XTestQueryExtension(display, out _, out _, out _, out _) == 0)
            {
                throw new LiliumException("The X server has no XTEST extension; viewers' input cannot be applied.");
            }
        }
        catch (DllNotFoundException ex)
        {
            X11Native.XCloseDisplay(display);
            throw new LiliumException("libXtst is not installed (apt install libxtst6).", ex);
        }
        catch
        {
            X11Native.XCloseDisplay(display);
            throw;
        }

        var gamepads = UinputGamepads.TryOpen(out var why);
        if (gamepads is null)
        {
            log($"controllers: not available ({why}); viewers' gamepad input will be ignored");
        }

        return new X11InputInjector(display, area, gamepads);
    }

    protected override bool HasKey(ushort usage) => HidKeys.ToX11(usage) != 0;

    protected override void Key(ushort usage, bool down) => XTestFakeKeyEvent(_display, (uint)HidKeys.ToX11(usage), down ? 1 : 0, 0);

    protected override void Button(MouseButton button, bool down)
    {
        var code = button switch
        {
            MouseButton.Left => 1u,
            MouseButton.Middle => 2u,
            MouseButton.Right => 3u,
            MouseButton.Back => 8u,
            MouseButton.Forward => 9u,
            _ => 0u,
        };
        if (code != 0)
        {
            XTestFakeButtonEvent(_display, code, down ? 1 : 0, 0);
        }
    }

    protected override void MoveAbsolute(int x, int y) =>
        XTestFakeMotionEvent(_display, -1, _area.X + (int)((long)x * (_area.Width - 1) / 65535), _area.Y + (int)((long)y * (_area.Height - 1) / 65535), 0);

    protected override void MoveRelative(int dx, int dy) => XTestFakeRelativeMotionEvent(_display, dx, dy, 0);

    // X has no wheel deltas: a click of button 4/5 (6/7 sideways) per 120 units, the remainder kept for the next event.
    protected override void Wheel(int dx, int dy)
    {
        Clicks(ref _wheelY, dy, 4u, 5u);
        Clicks(ref _wheelX, dx, 7u, 6u);
    }

    private void Clicks(ref int accumulated, int delta, uint positive, uint negative)
    {
        accumulated += delta;
        while (Math.Abs(accumulated) >= 120)
        {
            var button = accumulated > 0 ? positive : negative;
            XTestFakeButtonEvent(_display, button, 1, 0);
            XTestFakeButtonEvent(_display, button, 0, 0);
            accumulated -= Math.Sign(accumulated) * 120;
        }
    }

    protected override bool Controller(ControllerStateEvent state)
    {
        _gamepads?.Apply(state);
        return _gamepads is not null;
    }

    protected override void Flush(bool sync)
    {
        if (sync)
        {
            X11Native.XSync(_display, 0);
        }
        else
        {
            X11Native.XFlush(_display);
        }
    }

    protected override void Close()
    {
        _gamepads?.Dispose();
        X11Native.XCloseDisplay(_display);
    }

    [LibraryImport(LibXtst, EntryPoint = "XTestQueryExtension")]
    private static partial int XTestQueryExtension(nint display, out int eventBase, out int errorBase, out int major, out int minor);

    [LibraryImport(LibXtst, EntryPoint = "XTestFakeKeyEvent")]
    private static partial int XTestFakeKeyEvent(nint display, uint keycode, int isPress, ulong delay);

    [LibraryImport(LibXtst, EntryPoint = "XTestFakeButtonEvent")]
    private static partial int XTestFakeButtonEvent(nint display, uint button, int isPress, ulong delay);

    [LibraryImport(LibXtst, EntryPoint = "XTestFakeMotionEvent")]
    private static partial int XTestFakeMotionEvent(nint display, int screen, int x, int y, ulong delay);

    [LibraryImport(LibXtst, EntryPoint = "XTestFakeRelativeMotionEvent")]
    private static partial int XTestFakeRelativeMotionEvent(nint display, int dx, int dy, ulong delay);
}
