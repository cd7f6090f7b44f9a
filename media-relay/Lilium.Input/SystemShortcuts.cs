namespace Lilium.Input;

/// <summary>
/// Keys that act on the host's system rather than the shared app; they need the immersion grant
/// on top of the keyboard grant (docs/input.md).
/// </summary>
public static class SystemShortcuts
{
    // USB HID keyboard page usages (HID Usage Tables §10).
    public const ushort Escape = 0x29;
    public const ushort Tab = 0x2B;
    public const ushort F4 = 0x3D;
    public const ushort DeleteForward = 0x4C;
    public const ushort LeftMeta = 0xE3;
    public const ushort RightMeta = 0xE7;

    public static bool RequiresImmersion(ushort usage, KeyModifiers modifiers)
    {
        if (usage is LeftMeta or RightMeta || (modifiers & KeyModifiers.Meta) != 0)
        {
            return true; // Windows / Command key and anything chorded with it
        }

        var alt = (modifiers & KeyModifiers.Alt) != 0;
        var ctrl = (modifiers & KeyModifiers.Ctrl) != 0;
        return usage switch
        {
            Tab or F4 => alt,                       // Alt+Tab, Alt+F4
            Escape => alt || ctrl,                  // Alt+Esc, Ctrl+Esc
            DeleteForward => alt && ctrl,           // Ctrl+Alt+Delete
            _ => false,
        };
    }
}
