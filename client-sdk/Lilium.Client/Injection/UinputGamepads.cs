using System.Runtime.InteropServices;
using Lilium.Input;

namespace Lilium.Client.Injection;

/// <summary>
/// Virtual gamepads through Linux uinput (one device per controller index, created on first use):
/// the standard buttons as BTN_SOUTH … BTN_DPAD_*, sticks as ABS_X/Y/RX/RY (−32768..32767) and
/// triggers as ABS_Z/RZ (0..65535), each state ending with SYN_REPORT. Needs write access to
/// <c>/dev/uinput</c> (root, or the <c>input</c> group with a udev rule).
/// </summary>
internal sealed unsafe partial class UinputGamepads : IDisposable
{
    private const int MaxControllers = 4;
    private const uint UiSetEvBit = 0x40045564, UiSetKeyBit = 0x40045565, UiSetAbsBit = 0x40045567;
    private const uint UiDevSetup = 0x405c5503, UiAbsSetup = 0x401c5504, UiDevCreate = 0x5501, UiDevDestroy = 0x5502;
    private const ushort EvSyn = 0, EvKey = 1, EvAbs = 3;
    private const int OWronly = 1, ONonblock = 0x800;

    private static readonly (ControllerButtons Button, ushort Code)[] Buttons =
    [
        (ControllerButtons.A, 0x130), (ControllerButtons.B, 0x131), (ControllerButtons.X, 0x134), (ControllerButtons.Y, 0x133),
        (ControllerButtons.LeftShoulder, 0x136), (ControllerButtons.RightShoulder, 0x137), (ControllerButtons.Back, 0x13a),
        (ControllerButtons.Start, 0x13b), (ControllerButtons.Guide, 0x13c), (ControllerButtons.LeftStick, 0x13d),
        (ControllerButtons.RightStick, 0x13e), (ControllerButtons.DPadUp, 0x220), (ControllerButtons.DPadDown, 0x221),
        (ControllerButtons.DPadLeft, 0x222), (ControllerButtons.DPadRight, 0x223),
    ];

    private readonly int[] _devices = [-1, -1, -1, -1];

    private UinputGamepads()
    {
    }

    /// <summary>Null (with the reason) when /dev/uinput is missing or not writable.</summary>
    public static UinputGamepads? TryOpen(out string reason)
    {
        reason = "";
        if (!File.Exists("/dev/uinput"))
        {
            reason = "/dev/uinput does not exist (modprobe uinput)";
            return null;
        }

        var fd = Open("/dev/uinput", OWronly | ONonblock);
        if (fd < 0)
        {
            reason = $"/dev/uinput is not writable (errno {Marshal.GetLastPInvokeError()}); add the user to the input group or run as root";
            return null;
        }

        Close(fd);
        return new UinputGamepads();
    }

    public void Apply(ControllerStateEvent state)
    {
        if (state.Index >= MaxControllers)
        {
            return;
        }

        var fd = _devices[state.Index];
        if (fd < 0)
        {
            if (state.IsNeutral)
            {
                return;
            }

            fd = _devices[state.Index] = Create(state.Index);
            if (fd < 0)
            {
                return;
            }
        }

        foreach (var (button, code) in Buttons)
        {
            Emit(fd, EvKey, code, state.Buttons.HasFlag(button) ? 1 : 0);
        }

        Emit(fd, EvAbs, 0, state.LeftX);
        // The wire has XInput's positive Y = up; evdev's ABS_Y/ABS_RY grow downwards (as the xpad driver reports them).
        Emit(fd, EvAbs, 1, ~state.LeftY);
        Emit(fd, EvAbs, 3, state.RightX);
        Emit(fd, EvAbs, 4, ~state.RightY);
        Emit(fd, EvAbs, 2, state.LeftTrigger);
        Emit(fd, EvAbs, 5, state.RightTrigger);
        Emit(fd, EvSyn, 0, 0);
    }

    private static int Create(int index)
    {
        var fd = Open("/dev/uinput", OWronly | ONonblock);
        if (fd < 0)
        {
            return -1;
        }

        Ioctl(fd, UiSetEvBit, EvKey);
        Ioctl(fd, UiSetEvBit, EvAbs);
        foreach (var (_, code) in Buttons)
        {
            Ioctl(fd, UiSetKeyBit, code);
        }

        Span<byte> abs = stackalloc byte[28];
        foreach (var (code, min, max) in new (ushort, int, int)[] { (0, -32768, 32767), (1, -32768, 32767), (3, -32768, 32767), (4, -32768, 32767), (2, 0, 65535), (5, 0, 65535) })
        {
            Ioctl(fd, UiSetAbsBit, code);
            abs.Clear();
            BitConverter.TryWriteBytes(abs, code);
            BitConverter.TryWriteBytes(abs[8..], min);   // absinfo at 4: value, minimum @8, maximum @12
            BitConverter.TryWriteBytes(abs[12..], max);
            fixed (byte* p = abs)
            {
                IoctlPointer(fd, UiAbsSetup, p);
            }
        }

        Span<byte> setup = stackalloc byte[92];   // struct uinput_setup: input_id (bustype, vendor, product, version), name[80], ff_effects_max
        setup.Clear();
        BitConverter.TryWriteBytes(setup, (ushort)0x03);          // BUS_USB
        BitConverter.TryWriteBytes(setup[2..], (ushort)0x045e);   // the Xbox 360 pad's ids, so games map it
        BitConverter.TryWriteBytes(setup[4..], (ushort)0x028e);
        BitConverter.TryWriteBytes(setup[6..], (ushort)1);
        System.Text.Encoding.ASCII.GetBytes($"LiliumShare virtual pad {index}", setup[8..88]);
        fixed (byte* p = setup)
        {
            if (IoctlPointer(fd, UiDevSetup, p) < 0 || Ioctl(fd, UiDevCreate, 0) < 0)
            {
                Close(fd);
                return -1;
            }
        }

        return fd;
    }

    private static void Emit(int fd, ushort type, ushort code, int value)
    {
        Span<byte> e = stackalloc byte[24]; // struct input_event: timeval (16), type, code, value
        e.Clear();
        BitConverter.TryWriteBytes(e[16..], type);
        BitConverter.TryWriteBytes(e[18..], code);
        BitConverter.TryWriteBytes(e[20..], value);
        fixed (byte* p = e)
        {
            _ = Write(fd, p, 24);
        }
    }

    public void Dispose()
    {
        for (var i = 0; i < MaxControllers; i++)
        {
            if (_devices[i] >= 0)
            {
                Ioctl(_devices[i], UiDevDestroy, 0);
                Close(_devices[i]);
                _devices[i] = -1;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int Ioctl(int fd, nuint request, nint value);

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int IoctlPointer(int fd, nuint request, byte* value);

    [LibraryImport("libc", EntryPoint = "write")]
    private static partial nint Write(int fd, byte* buffer, nint count);
}
