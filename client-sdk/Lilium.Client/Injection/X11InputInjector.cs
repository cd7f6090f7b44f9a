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
internal sealed partial class X11InputInjector : IInputInjector
{
    private const string LibXtst = "libXtst.so.6";
    private readonly nint _display;
    private readonly ScreenRegion _area;
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, HeldInput> _held = [];
    private readonly UinputGamepads? _gamepads;
    private readonly Action<string> _log;
    private bool _disposed;

    private X11InputInjector(nint display, ScreenRegion area, UinputGamepads? gamepads, Action<string> log)
    {
        _display = display;
        _area = area;
        _gamepads = gamepads;
        _log = log;
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

        return new X11InputInjector(display, area, gamepads, log);
    }

    public void Apply(Guid viewer, InputEvent inputEvent)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var held = Held(viewer);
            switch (inputEvent)
            {
                case KeyEvent k:
                    var code = HidKeys.ToX11(k.Usage);
                    if (code == 0)
                    {
                        return;
                    }

                    if (k.Down ? held.Keys.Add(code) : held.Keys.Remove(code))
                    {
                        XTestFakeKeyEvent(_display, (uint)code, k.Down ? 1 : 0, 0);
                    }

                    break;
                case MouseMoveEvent { Relative: false } m:
                    var x = _area.X + (int)((long)m.X * (_area.Width - 1) / 65535);
                    var y = _area.Y + (int)((long)m.Y * (_area.Height - 1) / 65535);
                    XTestFakeMotionEvent(_display, -1, x, y, 0);
                    break;
                case MouseMoveEvent m:
                    XTestFakeRelativeMotionEvent(_display, m.X, m.Y, 0);
                    break;
                case MouseButtonEvent b:
                    var button = b.Button switch
                    {
                        MouseButton.Left => 1u,
                        MouseButton.Middle => 2u,
                        MouseButton.Right => 3u,
                        MouseButton.Back => 8u,
                        MouseButton.Forward => 9u,
                        _ => 0u,
                    };
                    if (button != 0 && (b.Down ? held.Buttons.Add(button) : held.Buttons.Remove(button)))
                    {
                        XTestFakeButtonEvent(_display, button, b.Down ? 1 : 0, 0);
                    }

                    break;
                case MouseWheelEvent w:
                    Wheel(ref held.WheelY, w.DeltaY, 4u, 5u);
                    Wheel(ref held.WheelX, w.DeltaX, 7u, 6u);
                    break;
                case ControllerStateEvent c:
                    if (_gamepads is not null)
                    {
                        _gamepads.Apply(c);
                        if (c.IsNeutral)
                        {
                            held.Controllers.Remove(c.Index);
                        }
                        else
                        {
                            held.Controllers.Add(c.Index);
                        }
                    }

                    break;
                case ControllerDisconnectedEvent d:
                    _gamepads?.Apply(ControllerStateEvent.Neutral(d.Index));
                    held.Controllers.Remove(d.Index);
                    break;
            }

            X11Native.XFlush(_display);
        }
    }

    private void Wheel(ref int accumulated, int delta, uint positive, uint negative)
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

    public int Release(Guid viewer)
    {
        lock (_gate)
        {
            if (_disposed || !_held.Remove(viewer, out var held))
            {
                return 0;
            }

            var count = ReleaseLocked(held);
            X11Native.XFlush(_display);
            return count;
        }
    }

    public int ReleaseAll()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return 0;
            }

            var count = 0;
            foreach (var held in _held.Values)
            {
                count += ReleaseLocked(held);
            }

            _held.Clear();
            X11Native.XSync(_display, 0);
            return count;
        }
    }

    private int ReleaseLocked(HeldInput held)
    {
        foreach (var key in held.Keys)
        {
            XTestFakeKeyEvent(_display, (uint)key, 0, 0);
        }

        foreach (var button in held.Buttons)
        {
            XTestFakeButtonEvent(_display, button, 0, 0);
        }

        foreach (var index in held.Controllers)
        {
            _gamepads?.Apply(ControllerStateEvent.Neutral(index));
        }

        var count = held.Keys.Count + held.Buttons.Count + held.Controllers.Count;
        held.Keys.Clear();
        held.Buttons.Clear();
        held.Controllers.Clear();
        return count;
    }

    private HeldInput Held(Guid viewer)
    {
        if (!_held.TryGetValue(viewer, out var held))
        {
            held = new HeldInput();
            _held[viewer] = held;
        }

        return held;
    }

    public void Dispose()
    {
        ReleaseAll();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _gamepads?.Dispose();
            X11Native.XCloseDisplay(_display);
        }
    }

    private sealed class HeldInput
    {
        public HashSet<int> Keys { get; } = [];

        public HashSet<uint> Buttons { get; } = [];

        public HashSet<byte> Controllers { get; } = [];

        public int WheelX;
        public int WheelY;
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
