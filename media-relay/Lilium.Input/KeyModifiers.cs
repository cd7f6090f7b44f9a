namespace Lilium.Input;

/// <summary>The USB HID keyboard modifier byte (HID Usage Tables §10, usages 0xE0–0xE7).</summary>
[Flags]
public enum KeyModifiers : byte
{
    None = 0,
    LeftCtrl = 1 << 0,
    LeftShift = 1 << 1,
    LeftAlt = 1 << 2,
    LeftMeta = 1 << 3,
    RightCtrl = 1 << 4,
    RightShift = 1 << 5,
    RightAlt = 1 << 6,
    RightMeta = 1 << 7,
    Ctrl = LeftCtrl | RightCtrl,
    Shift = LeftShift | RightShift,
    Alt = LeftAlt | RightAlt,
    Meta = LeftMeta | RightMeta,
}
