using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Lilium.Client;
using Lilium.Client.Capture;
using Lilium.Client.Injection;
using Lilium.Client.Platform;
using Lilium.Input;

namespace Lilium.Host.Tests;

/// <summary>
/// The platform-independent parts of the Windows and macOS back ends, which are built here but cannot run
/// here: which back end each OS gets, the key tables, the <c>INPUT</c> layout <c>SendInput</c> reads, the
/// records the Windows injector sends, the Quartz event choices, the WASAPI format conversion, and the
/// held-key bookkeeping both injectors share.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PlatformBackendTests
{
    [Fact]
    public void Each_OS_gets_its_back_ends_and_this_machine_is_Linux()
    {
        Assert.Equal(HostOs.Linux, HostPlatform.Current);
        Assert.Equal((ScreenBackend.X11, AudioBackend.PulseAudio, InputBackend.XTest), Backends(HostOs.Linux, new(6, 1)));
        Assert.Equal((ScreenBackend.DesktopDuplication, AudioBackend.WasapiLoopback, InputBackend.SendInput), Backends(HostOs.Windows, new(10, 0, 19045)));
        Assert.Equal((ScreenBackend.ScreenCaptureKit, AudioBackend.None, InputBackend.CoreGraphicsEvents), Backends(HostOs.MacOS, new(14, 5)));
        Assert.Equal((ScreenBackend.None, AudioBackend.None, InputBackend.None), Backends(HostOs.Other, new(1, 0)));

        static (ScreenBackend, AudioBackend, InputBackend) Backends(HostOs os, Version version) => (HostPlatform.Screen(os, version), HostPlatform.Audio(os), HostPlatform.Input(os));
    }

    [Theory]
    [InlineData("11.7.10", ScreenBackend.CoreGraphics)]
    [InlineData("12.2.1", ScreenBackend.CoreGraphics)]
    [InlineData("12.3", ScreenBackend.ScreenCaptureKit)]
    [InlineData("12.3.0", ScreenBackend.ScreenCaptureKit)]
    [InlineData("13.0", ScreenBackend.ScreenCaptureKit)]
    [InlineData("15.1", ScreenBackend.ScreenCaptureKit)]
    public void MacOS_captures_with_ScreenCaptureKit_from_12_3_and_Core_Graphics_before(string version, ScreenBackend expected)
    {
        Assert.Equal(expected, HostPlatform.Screen(HostOs.MacOS, Version.Parse(version)));
        Assert.Equal(ScreenBackend.X11, HostPlatform.Screen(HostOs.Linux, Version.Parse(version))); // only macOS looks at it
    }

    [Fact]
    public void Windows_scan_codes_equal_the_evdev_codes_for_the_unextended_keys_and_carry_E0_for_the_others()
    {
        // Linux's evdev codes 1..88 were taken from set 1, so those keys must agree exactly.
        var checkedKeys = 0;
        for (ushort usage = 0; usage < 0x100; usage++)
        {
            var evdev = HidKeys.ToEvdev(usage);
            if (evdev is >= 1 and <= 88)
            {
                Assert.Equal(evdev, WindowsScanCodes.ToScanCode(usage));
                checkedKeys++;
            }
        }

        Assert.True(checkedKeys > 80, $"only {checkedKeys} keys compared");
        const ushort E0 = WindowsScanCodes.Extended;
        Assert.Equal(E0 | 0x4D, WindowsScanCodes.ToScanCode(0x4F)); // Right arrow
        Assert.Equal(E0 | 0x48, WindowsScanCodes.ToScanCode(0x52)); // Up arrow
        Assert.Equal(E0 | 0x52, WindowsScanCodes.ToScanCode(0x49)); // Insert
        Assert.Equal(E0 | 0x53, WindowsScanCodes.ToScanCode(0x4C)); // Delete
        Assert.Equal(E0 | 0x1C, WindowsScanCodes.ToScanCode(0x58)); // keypad Enter
        Assert.Equal(E0 | 0x35, WindowsScanCodes.ToScanCode(0x54)); // keypad /
        Assert.Equal(E0 | 0x37, WindowsScanCodes.ToScanCode(0x46)); // PrintScreen
        Assert.Equal(E0 | 0x5D, WindowsScanCodes.ToScanCode(0x65)); // Application (menu)
        Assert.Equal(E0 | 0x1D, WindowsScanCodes.ToScanCode(0xE4)); // right Ctrl
        Assert.Equal(E0 | 0x38, WindowsScanCodes.ToScanCode(0xE6)); // right Alt (AltGr)
        Assert.Equal(E0 | 0x5B, WindowsScanCodes.ToScanCode(0xE3)); // left Windows
        Assert.Equal(E0 | 0x20, WindowsScanCodes.ToScanCode(0x7F)); // Mute
        Assert.Equal(0x59, WindowsScanCodes.ToScanCode(0x67));      // keypad =
        Assert.Equal(0x64, WindowsScanCodes.ToScanCode(0x68));      // F13
        Assert.Equal(0x76, WindowsScanCodes.ToScanCode(0x73));      // F24
        Assert.Equal(0, WindowsScanCodes.ToScanCode(0x48));         // Pause goes as VK_PAUSE
        Assert.True(WindowsScanCodes.IsPause(0x48));
        Assert.Equal(0, WindowsScanCodes.ToScanCode(0x03));
        Assert.Equal(0, WindowsScanCodes.ToScanCode(0xE8));
    }

    [Fact]
    public void Every_key_Linux_injects_has_a_distinct_Windows_and_Mac_key_but_the_documented_gaps()
    {
        var windows = new Dictionary<ushort, ushort>();
        var mac = new Dictionary<ushort, ushort>();
        var noWindows = new List<ushort>();
        var noMac = new List<ushort>();
        for (ushort usage = 0; usage < 0x100; usage++)
        {
            if (HidKeys.ToEvdev(usage) == 0 || usage == 0x32) // 0x32 (non-US #) is the same key as backslash everywhere
            {
                continue;
            }

            var w = WindowsScanCodes.ToScanCode(usage);
            if (w == 0 && !WindowsScanCodes.IsPause(usage))
            {
                noWindows.Add(usage);
            }
            else if (w != 0)
            {
                Assert.True(windows.TryAdd(w, usage), $"usage 0x{usage:X2} and 0x{windows.GetValueOrDefault(w):X2} share scan code 0x{w:X3}");
            }

            var m = MacKeyCodes.ToMac(usage);
            if (m == MacKeyCodes.None)
            {
                noMac.Add(usage);
            }
            else
            {
                Assert.True(mac.TryAdd(m, usage), $"usage 0x{usage:X2} and 0x{mac.GetValueOrDefault(m):X2} share Mac key 0x{m:X2}");
            }
        }

        Assert.Equal(new ushort[] { 0x90, 0x91 }, noWindows); // Lang1/Lang2 (Hangul, Hanja)
        // PrintScreen, ScrollLock, Pause, Power, F21–F24, Katakana/Hiragana, Henkan, Muhenkan.
        Assert.Equal(new ushort[] { 0x46, 0x47, 0x48, 0x66, 0x70, 0x71, 0x72, 0x73, 0x88, 0x8A, 0x8B }, noMac);
    }

    [Fact]
    public void Mac_key_codes_are_the_ANSI_positions()
    {
        Assert.Equal(0x00, MacKeyCodes.ToMac(0x04)); // A
        Assert.Equal(0x06, MacKeyCodes.ToMac(0x1D)); // Z
        Assert.Equal(0x12, MacKeyCodes.ToMac(0x1E)); // 1
        Assert.Equal(0x24, MacKeyCodes.ToMac(0x28)); // Return
        Assert.Equal(0x33, MacKeyCodes.ToMac(0x2A)); // Backspace (kVK_Delete)
        Assert.Equal(0x75, MacKeyCodes.ToMac(0x4C)); // Delete (kVK_ForwardDelete)
        Assert.Equal(0x7B, MacKeyCodes.ToMac(0x50)); // Left arrow
        Assert.Equal(0x4C, MacKeyCodes.ToMac(0x58)); // keypad Enter
        Assert.Equal(0x37, MacKeyCodes.ToMac(0xE3)); // left GUI = Command
        Assert.Equal(0x3D, MacKeyCodes.ToMac(0xE6)); // right Alt = right Option
        Assert.Equal(0x0A, MacKeyCodes.ToMac(0x64)); // ISO key left of Z (§)
        Assert.Equal(MacKeyCodes.None, MacKeyCodes.ToMac(0x00));
    }

    [Fact]
    public void The_INPUT_struct_has_the_winuser_h_layout()
    {
        var wide = IntPtr.Size == 8;
        Assert.Equal(wide ? 40 : 28, Marshal.SizeOf<Win32Input>());
        Assert.Equal(wide ? 40 : 28, Unsafe.SizeOf<Win32Input>());
        Assert.Equal(0, (int)Marshal.OffsetOf<Win32Input>(nameof(Win32Input.Type)));
        Assert.Equal(wide ? 8 : 4, (int)Marshal.OffsetOf<Win32Input>(nameof(Win32Input.Data)));

        Assert.Equal(wide ? 32 : 24, Marshal.SizeOf<MouseInput>());
        Assert.Equal(new[] { 0, 4, 8, 12, 16, wide ? 24 : 20 }, new[]
        {
            nameof(MouseInput.Dx), nameof(MouseInput.Dy), nameof(MouseInput.MouseData), nameof(MouseInput.Flags), nameof(MouseInput.Time), nameof(MouseInput.ExtraInfo),
        }.Select(f => (int)Marshal.OffsetOf<MouseInput>(f)));

        Assert.Equal(wide ? 24 : 16, Marshal.SizeOf<KeyboardInput>());
        Assert.Equal(new[] { 0, 2, 4, 8, wide ? 16 : 12 }, new[]
        {
            nameof(KeyboardInput.VirtualKey), nameof(KeyboardInput.ScanCode), nameof(KeyboardInput.Flags), nameof(KeyboardInput.Time), nameof(KeyboardInput.ExtraInfo),
        }.Select(f => (int)Marshal.OffsetOf<KeyboardInput>(f)));
    }

    [Fact]
    public void SendInput_records_for_keys_buttons_wheels_and_an_absolute_move_onto_a_second_monitor()
    {
        var a = SendInputMapper.Key(0x04, down: true);
        Assert.Equal((1u, (ushort)0, (ushort)0x1E, 0x0008u), (a.Type, a.Data.Keyboard.VirtualKey, a.Data.Keyboard.ScanCode, a.Data.Keyboard.Flags));
        var right = SendInputMapper.Key(0x4F, down: false);
        Assert.Equal(((ushort)0x4D, 0x0008u | 0x0001u | 0x0002u), (right.Data.Keyboard.ScanCode, right.Data.Keyboard.Flags));
        var pause = SendInputMapper.Key(0x48, down: true);
        Assert.Equal(((ushort)0x13, (ushort)0, 0u), (pause.Data.Keyboard.VirtualKey, pause.Data.Keyboard.ScanCode, pause.Data.Keyboard.Flags));

        var back = SendInputMapper.Button(MouseButton.Back, down: true);
        Assert.Equal((0u, 0x0080u, 1u), (back.Type, back.Data.Mouse.Flags, back.Data.Mouse.MouseData));
        var forward = SendInputMapper.Button(MouseButton.Forward, down: false);
        Assert.Equal((0x0100u, 2u), (forward.Data.Mouse.Flags, forward.Data.Mouse.MouseData));
        Assert.Equal(0x0010u, SendInputMapper.Button(MouseButton.Right, down: false).Data.Mouse.Flags);
        Assert.Equal(0x0020u, SendInputMapper.Button(MouseButton.Middle, down: true).Data.Mouse.Flags);

        Span<Win32Input> wheel = stackalloc Win32Input[2];
        Assert.Equal(2, SendInputMapper.Wheel(-120, 240, wheel));
        Assert.Equal((0x0800u, 240u), (wheel[0].Data.Mouse.Flags, wheel[0].Data.Mouse.MouseData));
        Assert.Equal((0x1000u, unchecked((uint)-120)), (wheel[1].Data.Mouse.Flags, wheel[1].Data.Mouse.MouseData));
        Assert.Equal(1, SendInputMapper.Wheel(0, -120, wheel));

        // The shared monitor is the right one of two (1920x1080 at 0,0 and 1280x720 at 1920,0).
        var mapper = new SendInputMapper(new ScreenRegion(1920, 0, 1280, 720), new ScreenRegion(0, 0, 3200, 1080));
        Assert.Equal((1920, 0), mapper.Pixel(0, 0));
        Assert.Equal((3199, 719), mapper.Pixel(65535, 65535));
        Assert.Equal((2559, 359), mapper.Pixel(32768, 32768));
        var topLeft = mapper.Absolute(0, 0);
        Assert.Equal((39333, 0, 0xC001u), (topLeft.Data.Mouse.Dx, topLeft.Data.Mouse.Dy, topLeft.Data.Mouse.Flags)); // 1920·65535/3199
        var bottomRight = mapper.Absolute(65535, 65535);
        Assert.Equal((65535, 43669), (bottomRight.Data.Mouse.Dx, bottomRight.Data.Mouse.Dy)); // 719·65535/1079
        var relative = SendInputMapper.Relative(-5, 7);
        Assert.Equal((-5, 7, 0x0001u), (relative.Data.Mouse.Dx, relative.Data.Mouse.Dy, relative.Data.Mouse.Flags));
    }

    [Fact]
    public void Quartz_events_map_positions_buttons_and_drags()
    {
        var mapper = new MacInputMapper(new ScreenRegion(-1440, 0, 1440, 900)); // a display left of the main one
        var p = mapper.Point(0, 0);
        Assert.Equal((-1440.0, 0.0), (p.X, p.Y));
        p = mapper.Point(65535, 65535);
        Assert.Equal((-1.0, 899.0), (p.X, p.Y));
        Assert.Equal((1u, 0u), MacInputMapper.Button(MouseButton.Left, down: true));
        Assert.Equal((4u, 1u), MacInputMapper.Button(MouseButton.Right, down: false));
        Assert.Equal((25u, 3u), MacInputMapper.Button(MouseButton.Back, down: true));
        Assert.Equal((26u, 4u), MacInputMapper.Button(MouseButton.Forward, down: false));
        Assert.Equal((5u, 0u), MacInputMapper.Motion(null));
        Assert.Equal((6u, 0u), MacInputMapper.Motion(MouseButton.Left));
        Assert.Equal((27u, 2u), MacInputMapper.Motion(MouseButton.Middle));
    }

    [Fact]
    public void WASAPI_float_stereo_at_48_kHz_passes_through_as_rounded_s16()
    {
        var converter = new PcmConverter(48_000, 2, isFloat: true, bitsPerSample: 32);
        var input = new byte[960 * 8];
        float[] pattern = [0.25f, -0.5f, 1.5f, -1f, 0f, 0.0001f];
        for (var i = 0; i < 960 * 2; i++)
        {
            BitConverter.TryWriteBytes(input.AsSpan(i * 4), pattern[i % pattern.Length]);
        }

        converter.Push(input, 960, silent: false);
        Assert.Equal(1, converter.FramesReady);
        var frame = new byte[AudioCapture.FrameBytes];
        Assert.True(converter.TryRead(frame));
        Assert.Equal(new short[] { 8192, -16384, 32767, -32767, 0, 3, 8192 }, MemoryMarshal.Cast<byte, short>(frame)[..7].ToArray());
        Assert.False(converter.TryRead(frame));
    }

    [Fact]
    public void WASAPI_mono_s16_at_24_kHz_is_doubled_and_interpolated_across_pushes()
    {
        // A ramp of 10 per input sample at half the rate: output pair k is 5k on both channels, also across the push boundary.
        var converter = new PcmConverter(24_000, 1, isFloat: false, bitsPerSample: 16);
        var input = new byte[600 * 2];
        for (var i = 0; i < 600; i++)
        {
            BitConverter.TryWriteBytes(input.AsSpan(i * 2), (short)(i * 10));
        }

        converter.Push(input.AsSpan(0, 300 * 2), 300, silent: false);
        Assert.Equal(0, converter.FramesReady);
        converter.Push(input.AsSpan(300 * 2), 300, silent: false);
        var frame = new byte[AudioCapture.FrameBytes];
        Assert.True(converter.TryRead(frame));
        var samples = MemoryMarshal.Cast<byte, short>(frame);
        for (var k = 0; k < 960; k++)
        {
            Assert.Equal(5 * k, samples[2 * k]);
            Assert.Equal(5 * k, samples[(2 * k) + 1]);
        }

        converter.Push(default, 480, silent: true); // a silent packet: the ramp falls to zero, then zeros
        Assert.True(converter.TryRead(frame));
        Assert.Equal(0, MemoryMarshal.Cast<byte, short>(frame)[^1]);
    }

    [Fact]
    public void Mix_formats_the_converter_cannot_read_are_refused_with_a_sentence()
    {
        var ex = Assert.Throws<LiliumException>(() => new PcmConverter(48_000, 2, isFloat: false, bitsPerSample: 24));
        Assert.Contains("24-bit", ex.Message);
        Assert.Throws<LiliumException>(() => new PcmConverter(1_000, 2, isFloat: true, bitsPerSample: 32));
    }

    [Fact]
    public void Held_keys_and_buttons_are_released_per_viewer_once_and_unknown_keys_are_not_tracked()
    {
        using var injector = new RecordingInjector();
        Guid a = Guid.NewGuid(), b = Guid.NewGuid();
        injector.Apply(a, new KeyEvent(true, 0x04, KeyModifiers.None));
        injector.Apply(a, new KeyEvent(true, 0x04, KeyModifiers.None)); // auto-repeat: no second press
        injector.Apply(a, new KeyEvent(true, 0x99, KeyModifiers.None)); // no key on this OS
        injector.Apply(a, new MouseButtonEvent(MouseButton.Left, true));
        injector.Apply(b, new KeyEvent(true, 0x05, KeyModifiers.None));
        injector.Apply(b, new KeyEvent(false, 0x06, KeyModifiers.None)); // never pressed: no release sent
        injector.Apply(b, new MouseWheelEvent(0, 120));
        injector.Apply(b, new MouseMoveEvent(false, 100, 200));
        Assert.Equal(["key 4 down", "button Left down", "key 5 down", "wheel 0 120", "move 100 200"], injector.Calls);

        injector.Calls.Clear();
        Assert.Equal(2, injector.Release(a));
        Assert.Equal(["key 4 up", "button Left up"], injector.Calls);
        Assert.Equal(0, injector.Release(a));

        injector.Calls.Clear();
        Assert.Equal(1, injector.ReleaseAll());
        Assert.Equal(["key 5 up"], injector.Calls);
    }

    private sealed class RecordingInjector : HeldInputInjector
    {
        public List<string> Calls { get; } = [];

        protected override bool HasKey(ushort usage) => usage < 0x90;

        protected override void Key(ushort usage, bool down) => Calls.Add($"key {usage} {(down ? "down" : "up")}");

        protected override void Button(MouseButton button, bool down) => Calls.Add($"button {button} {(down ? "down" : "up")}");

        protected override void MoveAbsolute(int x, int y) => Calls.Add($"move {x} {y}");

        protected override void MoveRelative(int dx, int dy) => Calls.Add($"relative {dx} {dy}");

        protected override void Wheel(int dx, int dy) => Calls.Add($"wheel {dx} {dy}");
    }
}
