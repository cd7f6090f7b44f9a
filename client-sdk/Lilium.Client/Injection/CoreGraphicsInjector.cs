using System.Runtime.Versioning;
using Lilium.Client.Capture;
using Lilium.Client.Platform;
using Lilium.Input;
using static Lilium.Client.Platform.MacOS;

namespace Lilium.Client.Injection;

/// <summary>
/// Viewers' keyboard and mouse on macOS through Quartz events posted at the HID tap (<c>CGEventPost</c>):
/// keys by <see cref="MacKeyCodes"/>, the absolute pointer across the shared display in global points,
/// relative motion (the position moves and the delta fields carry the raw motion), drags while a button is
/// held, five buttons and line-based wheels. Needs the Accessibility permission. Controllers are not
/// supported. Built on Linux, not run: see docs/host.md.
/// </summary>
[SupportedOSPlatform("macos")]
internal sealed class CoreGraphicsInjector : HeldInputInjector
{
    private const uint HidEventTap = 0, ScrollUnitLine = 1, FieldDeltaX = 4, FieldDeltaY = 5;
    private readonly MacInputMapper _mapper;
    private readonly Action<string> _log;
    private readonly HashSet<MouseButton> _down = [];
    private bool _controllersLogged;
    private int _wheelX;
    private int _wheelY;

    private CoreGraphicsInjector(MacInputMapper mapper, Action<string> log)
    {
        _mapper = mapper;
        _log = log;
    }

    public static CoreGraphicsInjector Open(ScreenRegion area, Action<string> log)
    {
        try
        {
            if (!AXIsProcessTrusted())
            {
                log("input: macOS has not granted this program Accessibility access (System Settings → Privacy & Security → Accessibility); posted events will be dropped until it does");
            }
        }
        catch (DllNotFoundException ex)
        {
            throw new LiliumException("The ApplicationServices framework was not found.", ex);
        }

        return new CoreGraphicsInjector(new MacInputMapper(area), log);
    }

    protected override bool HasKey(ushort usage) => MacKeyCodes.ToMac(usage) != MacKeyCodes.None;

    protected override void Key(ushort usage, bool down) => Post(CGEventCreateKeyboardEvent(0, MacKeyCodes.ToMac(usage), down));

    protected override void Button(MouseButton button, bool down)
    {
        if (down)
        {
            _down.Add(button);
        }
        else
        {
            _down.Remove(button);
        }

        var (type, number) = MacInputMapper.Button(button, down);
        Post(CGEventCreateMouseEvent(0, type, Location(), number));
    }

    protected override void MoveAbsolute(int x, int y) => Move(_mapper.Point(x, y), 0, 0);

    protected override void MoveRelative(int dx, int dy)
    {
        var at = Location();
        Move(new CGPoint { X = at.X + dx, Y = at.Y + dy }, dx, dy);
    }

    protected override void Wheel(int dx, int dy)
    {
        _wheelY += dy;
        _wheelX += dx;
        var lines = _wheelY / 120;
        var columns = _wheelX / 120;
        _wheelY -= lines * 120;
        _wheelX -= columns * 120;
        if (lines != 0 || columns != 0)
        {
            // wheel1 > 0 scrolls up (the wire's dy > 0); wheel2 > 0 scrolls left, so the wire's dx is negated.
            Post(CGEventCreateScrollWheelEvent2(0, ScrollUnitLine, 2, lines, -columns, 0));
        }
    }

    protected override bool Controller(ControllerStateEvent state)
    {
        if (!_controllersLogged)
        {
            _controllersLogged = true;
            _log("controllers: not supported on macOS (no virtual gamepad API); viewers' gamepad input is ignored");
        }

        return false;
    }

    private void Move(CGPoint to, int dx, int dy)
    {
        var button = _down.Count == 0 ? (MouseButton?)null : _down.Min();
        var (type, number) = MacInputMapper.Motion(button);
        var e = CGEventCreateMouseEvent(0, type, to, number);
        if (e != 0 && (dx != 0 || dy != 0))
        {
            CGEventSetIntegerValueField(e, FieldDeltaX, dx);
            CGEventSetIntegerValueField(e, FieldDeltaY, dy);
        }

        Post(e);
    }

    private static CGPoint Location()
    {
        var e = CGEventCreate(0);
        if (e == 0)
        {
            return default;
        }

        var at = CGEventGetLocation(e);
        CFRelease(e);
        return at;
    }

    private static void Post(nint inputEvent)
    {
        if (inputEvent != 0)
        {
            CGEventPost(HidEventTap, inputEvent);
            CFRelease(inputEvent);
        }
    }
}

/// <summary>The pure part of macOS injection (tested on any OS): positions and Quartz event types.</summary>
internal sealed class MacInputMapper(ScreenRegion area)
{
    public const uint LeftMouseDown = 1, LeftMouseUp = 2, RightMouseDown = 3, RightMouseUp = 4, MouseMoved = 5,
        LeftMouseDragged = 6, RightMouseDragged = 7, OtherMouseDown = 25, OtherMouseUp = 26, OtherMouseDragged = 27;

    /// <summary>The wire's 0..65535 across the shared area → a global display point.</summary>
    public CGPoint Point(int x, int y) => new()
    {
        X = area.X + ((double)Math.Clamp(x, 0, 65535) * (area.Width - 1) / 65535),
        Y = area.Y + ((double)Math.Clamp(y, 0, 65535) * (area.Height - 1) / 65535),
    };

    /// <summary>The event type and button number (left 0, right 1, middle 2, back 3, forward 4) of a press or release.</summary>
    public static (uint Type, uint Button) Button(MouseButton button, bool down) => button switch
    {
        MouseButton.Left => (down ? LeftMouseDown : LeftMouseUp, 0),
        MouseButton.Right => (down ? RightMouseDown : RightMouseUp, 1),
        MouseButton.Middle => (down ? OtherMouseDown : OtherMouseUp, 2),
        MouseButton.Back => (down ? OtherMouseDown : OtherMouseUp, 3),
        _ => (down ? OtherMouseDown : OtherMouseUp, 4),
    };

    /// <summary>A motion event's type: a drag of the held button, else a plain move.</summary>
    public static (uint Type, uint Button) Motion(MouseButton? held) => held switch
    {
        null => (MouseMoved, 0),
        MouseButton.Left => (LeftMouseDragged, 0),
        MouseButton.Right => (RightMouseDragged, 1),
        var b => (OtherMouseDragged, Button(b.Value, true).Button),
    };
}
