namespace Lilium.Client.Injection;

/// <summary>
/// USB HID keyboard usages (page 0x07) to PC/AT set-1 scan codes, what Windows' <c>SendInput</c> takes with
/// <c>KEYEVENTF_SCANCODE</c>: the physical key whatever the host's layout (Microsoft's "Keyboard Scan Code
/// Specification", the HID-to-set-1 column). Extended keys carry the E0 prefix as
/// <c>KEYEVENTF_EXTENDEDKEY</c>. Pause (E1 1D 45) has no single scan code and goes as the virtual key VK_PAUSE.
/// </summary>
internal static class WindowsScanCodes
{
    /// <summary>The E0 prefix flag in the packed value (low byte = scan code).</summary>
    public const ushort Extended = 0x100;

    /// <summary>The virtual key Pause is sent as.</summary>
    public const ushort VirtualKeyPause = 0x13;

    private static readonly ushort[] Low =
    [
        // 0x00–0x0F: -, -, -, -, A B C D E F G H I J K L
        0, 0, 0, 0, 0x1E, 0x30, 0x2E, 0x20, 0x12, 0x21, 0x22, 0x23, 0x17, 0x24, 0x25, 0x26,
        // 0x10–0x1F: M N O P Q R S T U V W X Y Z 1 2
        0x32, 0x31, 0x18, 0x19, 0x10, 0x13, 0x1F, 0x14, 0x16, 0x2F, 0x11, 0x2D, 0x15, 0x2C, 0x02, 0x03,
        // 0x20–0x2F: 3 4 5 6 7 8 9 0 Enter Esc Backspace Tab Space - = [
        0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x1C, 0x01, 0x0E, 0x0F, 0x39, 0x0C, 0x0D, 0x1A,
        // 0x30–0x3F: ] \ non-US# ; ' ` , . / CapsLock F1 F2 F3 F4 F5 F6
        0x1B, 0x2B, 0x2B, 0x27, 0x28, 0x29, 0x33, 0x34, 0x35, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F, 0x40,
        // 0x40–0x4F: F7 F8 F9 F10 F11 F12 PrintScreen ScrollLock Pause Insert Home PageUp Delete End PageDown Right
        0x41, 0x42, 0x43, 0x44, 0x57, 0x58, Extended | 0x37, 0x46, 0, Extended | 0x52, Extended | 0x47, Extended | 0x49,
        Extended | 0x53, Extended | 0x4F, Extended | 0x51, Extended | 0x4D,
        // 0x50–0x5F: Left Down Up NumLock KP/ KP* KP- KP+ KPEnter KP1 KP2 KP3 KP4 KP5 KP6 KP7
        Extended | 0x4B, Extended | 0x50, Extended | 0x48, 0x45, Extended | 0x35, 0x37, 0x4A, 0x4E, Extended | 0x1C,
        0x4F, 0x50, 0x51, 0x4B, 0x4C, 0x4D, 0x47,
        // 0x60–0x6F: KP8 KP9 KP0 KP. non-US\ Application Power KP= F13 F14 F15 F16 F17 F18 F19 F20
        0x48, 0x49, 0x52, 0x53, 0x56, Extended | 0x5D, Extended | 0x5E, 0x59, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B,
        // 0x70–0x7F: F21 F22 F23 F24, Execute…Find (none), Mute
        0x6C, 0x6D, 0x6E, 0x76, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, Extended | 0x20,
        // 0x80–0x8F: VolumeUp VolumeDown, locking keys (none), KP comma, KP= (AS/400, none), International1–5
        Extended | 0x30, Extended | 0x2E, 0, 0, 0, 0x7E, 0, 0x73, 0x70, 0x7D, 0x79, 0x7B, 0, 0, 0, 0,
        // 0x90–0x91: Lang1 (Hangul), Lang2 (Hanja): no set-1 make code SendInput takes; left out
        0, 0,
    ];

    // 0xE0–0xE7: LeftCtrl LeftShift LeftAlt LeftGUI RightCtrl RightShift RightAlt RightGUI
    private static readonly ushort[] Modifiers = [0x1D, 0x2A, 0x38, Extended | 0x5B, Extended | 0x1D, 0x36, Extended | 0x38, Extended | 0x5C];

    /// <summary>The scan code (low byte) with <see cref="Extended"/> for E0 keys, or 0 when the usage has none (Pause included: see <see cref="VirtualKeyPause"/>).</summary>
    public static ushort ToScanCode(ushort usage) => usage switch
    {
        < 0x92 => Low[usage],
        >= 0xE0 and <= 0xE7 => Modifiers[usage - 0xE0],
        _ => 0,
    };

    /// <summary>True for the HID usage of Pause, which is sent as a virtual key.</summary>
    public static bool IsPause(ushort usage) => usage == 0x48;
}
