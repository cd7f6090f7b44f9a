namespace Lilium.Client.Injection;

/// <summary>
/// USB HID keyboard usages (page 0x07) to Linux evdev key codes, as the kernel's hid-input maps
/// them; an X server with the evdev keymap uses evdev + 8 as its keycode, independent of layout.
/// </summary>
internal static class HidKeys
{
    private static readonly ushort[] Low =
    [
        // 0x00–0x0F
        0, 0, 0, 0, 30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38,
        // 0x10–0x1F: m … z, 1, 2
        50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44, 2, 3,
        // 0x20–0x2F: 3 … 0, Enter, Esc, Backspace, Tab, Space, -, =, [
        4, 5, 6, 7, 8, 9, 10, 11, 28, 1, 14, 15, 57, 12, 13, 26,
        // 0x30–0x3F: ], \, non-US #, ;, ', `, ",", ., /, CapsLock, F1–F6
        27, 43, 43, 39, 40, 41, 51, 52, 53, 58, 59, 60, 61, 62, 63, 64,
        // 0x40–0x4F: F7–F12, PrintScreen, ScrollLock, Pause, Insert, Home, PageUp, Delete, End, PageDown, Right
        65, 66, 67, 68, 87, 88, 99, 70, 119, 110, 102, 104, 111, 107, 109, 106,
        // 0x50–0x5F: Left, Down, Up, NumLock, KP/ KP* KP- KP+ KPEnter KP1 … KP7
        105, 108, 103, 69, 98, 55, 74, 78, 96, 79, 80, 81, 75, 76, 77, 71,
        // 0x60–0x6F: KP8 KP9 KP0 KP. non-US \, Menu, Power, KP=, F13–F20
        72, 73, 82, 83, 86, 127, 116, 117, 183, 184, 185, 186, 187, 188, 189, 190,
        // 0x70–0x7F: F21–F24, then unmapped, Mute at 0x7F
        191, 192, 193, 194, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 113,
        // 0x80–0x8F: VolumeUp, VolumeDown, …, KP comma (0x85), RO (0x87), Katakana/Hiragana, Yen, Henkan, Muhenkan
        115, 114, 0, 0, 0, 121, 0, 89, 93, 124, 92, 94, 0, 0, 0, 0,
        // 0x90–0x91: Hangeul, Hanja
        122, 123,
    ];

    // 0xE0–0xE7: LeftCtrl, LeftShift, LeftAlt, LeftMeta, RightCtrl, RightShift, RightAlt, RightMeta
    private static readonly ushort[] Modifiers = [29, 42, 56, 125, 97, 54, 100, 126];

    /// <summary>The evdev code for a HID usage, or 0 if the usage has no key.</summary>
    public static int ToEvdev(ushort usage) => usage switch
    {
        < 0x92 => Low[usage],
        >= 0xE0 and <= 0xE7 => Modifiers[usage - 0xE0],
        _ => 0,
    };

    /// <summary>The X keycode (evdev + 8) for a HID usage, or 0.</summary>
    public static int ToX11(ushort usage) => ToEvdev(usage) is var e and > 0 ? e + 8 : 0;
}
