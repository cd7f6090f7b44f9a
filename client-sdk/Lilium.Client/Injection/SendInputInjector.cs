using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Lilium.Client.Capture;
using Lilium.Input;

namespace Lilium.Client.Injection;

/// <summary>
/// Viewers' keyboard and mouse on Windows through <c>SendInput</c>: keys as set-1 scan codes
/// (<see cref="WindowsScanCodes"/>, layout-independent), the absolute pointer mapped across the shared
/// monitor in virtual-desktop coordinates, relative motion, five buttons and both wheels. Controllers
/// are not supported (Windows has no virtual gamepad without a driver such as ViGEmBus). Built on Linux,
/// not run: see docs/host.md. Input reaches only windows of the same or lower integrity level (UIPI).
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed partial class SendInputInjector : HeldInputInjector
{
    private readonly SendInputMapper _mapper;
    private readonly Action<string> _log;
    private bool _controllersLogged;

    private SendInputInjector(SendInputMapper mapper, Action<string> log)
    {
        _mapper = mapper;
        _log = log;
    }

    /// <summary>Maps absolute input onto <paramref name="area"/> (virtual-desktop pixels) of the current virtual desktop.</summary>
    public static SendInputInjector Open(ScreenRegion area, Action<string> log)
    {
        var desktop = new ScreenRegion(
            GetSystemMetrics(SmXVirtualScreen), GetSystemMetrics(SmYVirtualScreen), GetSystemMetrics(SmCxVirtualScreen), GetSystemMetrics(SmCyVirtualScreen));
        if (desktop.Width <= 0 || desktop.Height <= 0)
        {
            throw new LiliumException("Windows reported no virtual desktop; input cannot be injected (is this a service session without a desktop?).");
        }

        return new SendInputInjector(new SendInputMapper(area, desktop), log);
    }

    protected override bool HasKey(ushort usage) => WindowsScanCodes.ToScanCode(usage) != 0 || WindowsScanCodes.IsPause(usage);

    protected override void Key(ushort usage, bool down) => Send(SendInputMapper.Key(usage, down));

    protected override void Button(MouseButton button, bool down) => Send(SendInputMapper.Button(button, down));

    protected override void MoveAbsolute(int x, int y) => Send(_mapper.Absolute(x, y));

    protected override void MoveRelative(int dx, int dy) => Send(SendInputMapper.Relative(dx, dy));

    protected override void Wheel(int dx, int dy)
    {
        Span<Win32Input> inputs = stackalloc Win32Input[2];
        var n = SendInputMapper.Wheel(dx, dy, inputs);
        foreach (var input in inputs[..n])
        {
            Send(input);
        }
    }

    protected override bool Controller(ControllerStateEvent state)
    {
        if (!_controllersLogged)
        {
            _controllersLogged = true;
            _log("controllers: not supported on Windows (no virtual gamepad without a driver such as ViGEmBus); viewers' gamepad input is ignored");
        }

        return false;
    }

    private static unsafe void Send(Win32Input input)
    {
        if (SendInput(1, &input, sizeof(Win32Input)) != 1)
        {
            // Blocked by UIPI (an elevated window has focus) or the desktop is locked: nothing to undo.
            _ = Marshal.GetLastPInvokeError();
        }
    }

    private const int SmXVirtualScreen = 76, SmYVirtualScreen = 77, SmCxVirtualScreen = 78, SmCyVirtualScreen = 79;

    [LibraryImport("user32.dll", SetLastError = true)]
    private static unsafe partial uint SendInput(uint count, Win32Input* inputs, int size);

    [LibraryImport("user32.dll")]
    private static partial int GetSystemMetrics(int index);
}

/// <summary>
/// Turns wire input into <c>INPUT</c> records (pure, so it is tested on any OS). Absolute positions:
/// the viewer's 0..65535 across the shared area → a virtual-desktop pixel → <c>SendInput</c>'s 0..65535
/// across the whole virtual desktop (<c>MOUSEEVENTF_VIRTUALDESK</c>).
/// </summary>
internal sealed class SendInputMapper(ScreenRegion area, ScreenRegion desktop)
{
    public const uint InputMouse = 0, InputKeyboard = 1;
    public const uint KeyExtended = 0x0001, KeyUp = 0x0002, KeyScanCode = 0x0008;
    public const uint MouseMove = 0x0001, LeftDown = 0x0002, LeftUp = 0x0004, RightDown = 0x0008, RightUp = 0x0010,
        MiddleDown = 0x0020, MiddleUp = 0x0040, XDown = 0x0080, XUp = 0x0100, WheelFlag = 0x0800, HWheel = 0x1000,
        VirtualDesk = 0x4000, AbsoluteFlag = 0x8000;
    public const uint XButton1 = 1, XButton2 = 2;

    /// <summary>The pixel on the virtual desktop a wire position lands on.</summary>
    public (int X, int Y) Pixel(int x, int y) =>
        (area.X + (int)((long)Math.Clamp(x, 0, 65535) * (area.Width - 1) / 65535),
         area.Y + (int)((long)Math.Clamp(y, 0, 65535) * (area.Height - 1) / 65535));

    /// <summary>An absolute move to the wire position (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public Win32Input Absolute(int x, int y)
    {
        var (px, py) = Pixel(x, y);
        var nx = (int)((long)(px - desktop.X) * 65535 / Math.Max(1, desktop.Width - 1));
        var ny = (int)((long)(py - desktop.Y) * 65535 / Math.Max(1, desktop.Height - 1));
        return Mouse(nx, ny, 0, MouseMove | AbsoluteFlag | VirtualDesk);
    }

    public static Win32Input Relative(int dx, int dy) => Mouse(dx, dy, 0, MouseMove);

    public static Win32Input Key(ushort usage, bool down)
    {
        if (WindowsScanCodes.IsPause(usage))
        {
            return Keyboard(WindowsScanCodes.VirtualKeyPause, 0, down ? 0 : KeyUp);
        }

        var code = WindowsScanCodes.ToScanCode(usage);
        var flags = KeyScanCode | ((code & WindowsScanCodes.Extended) != 0 ? KeyExtended : 0) | (down ? 0 : KeyUp);
        return Keyboard(0, (ushort)(code & 0xFF), flags);
    }

    public static Win32Input Button(MouseButton button, bool down) => button switch
    {
        MouseButton.Left => Mouse(0, 0, 0, down ? LeftDown : LeftUp),
        MouseButton.Right => Mouse(0, 0, 0, down ? RightDown : RightUp),
        MouseButton.Middle => Mouse(0, 0, 0, down ? MiddleDown : MiddleUp),
        MouseButton.Back => Mouse(0, 0, XButton1, down ? XDown : XUp),
        _ => Mouse(0, 0, XButton2, down ? XDown : XUp),
    };

    /// <summary>Wheel records: vertical then horizontal, only the non-zero ones; Windows' signs are the wire's (120 a notch).</summary>
    public static int Wheel(int dx, int dy, Span<Win32Input> output)
    {
        var n = 0;
        if (dy != 0)
        {
            output[n++] = Mouse(0, 0, (uint)dy, WheelFlag);
        }

        if (dx != 0)
        {
            output[n++] = Mouse(0, 0, (uint)dx, HWheel);
        }

        return n;
    }

    private static Win32Input Mouse(int dx, int dy, uint data, uint flags) =>
        new() { Type = InputMouse, Data = new Win32InputUnion { Mouse = new MouseInput { Dx = dx, Dy = dy, MouseData = data, Flags = flags } } };

    private static Win32Input Keyboard(ushort vk, ushort scan, uint flags) =>
        new() { Type = InputKeyboard, Data = new Win32InputUnion { Keyboard = new KeyboardInput { VirtualKey = vk, ScanCode = scan, Flags = flags } } };
}

/// <summary><c>INPUT</c> (winuser.h): 40 bytes on 64-bit Windows, 28 on 32-bit.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Win32Input
{
    public uint Type;
    public Win32InputUnion Data;
}

/// <summary>The union of <c>INPUT</c>; <c>HARDWAREINPUT</c> (8 bytes) is never used and never the largest.</summary>
[StructLayout(LayoutKind.Explicit)]
internal struct Win32InputUnion
{
    [FieldOffset(0)]
    public MouseInput Mouse;

    [FieldOffset(0)]
    public KeyboardInput Keyboard;
}

/// <summary><c>MOUSEINPUT</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MouseInput
{
    public int Dx;
    public int Dy;
    public uint MouseData;
    public uint Flags;
    public uint Time;
    public nuint ExtraInfo;
}

/// <summary><c>KEYBDINPUT</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct KeyboardInput
{
    public ushort VirtualKey;
    public ushort ScanCode;
    public uint Flags;
    public uint Time;
    public nuint ExtraInfo;
}
