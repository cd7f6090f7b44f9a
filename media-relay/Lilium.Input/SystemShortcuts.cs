namespace Lilium.Input;

/// <summary>
/// Keys that act on the host's system rather than the shared app; they need the immersion grant on top of the keyboard
/// grant (docs/input.md). Chords are judged on the keys actually held (as the relay saw them go down), never on the
/// modifier byte a client sends.
/// </summary>
public static class SystemShortcuts
{
    // USB HID keyboard page usages (HID Usage Tables §10).
    public const ushort Escape = 0x29;
    public const ushort Tab = 0x2B;
    public const ushort F4 = 0x3D;
    public const ushort DeleteForward = 0x4C;
    public const ushort LeftCtrl = 0xE0;
    public const ushort LeftShift = 0xE1;
    public const ushort LeftAlt = 0xE2;
    public const ushort LeftMeta = 0xE3;
    public const ushort RightCtrl = 0xE4;
    public const ushort RightShift = 0xE5;
    public const ushort RightAlt = 0xE6;
    public const ushort RightMeta = 0xE7;

    /// <summary>The modifier a modifier key usage stands for (HID 0xE0–0xE7 map to the bits of <see cref="KeyModifiers"/> in order).</summary>
    public static KeyModifiers ModifierOf(ushort usage) => usage is >= LeftCtrl and <= RightMeta ? (KeyModifiers)(1 << (usage - LeftCtrl)) : KeyModifiers.None;

    public static KeyModifiers ModifiersOf(IEnumerable<ushort> held)
    {
        var m = KeyModifiers.None;
        foreach (var usage in held)
        {
            m |= ModifierOf(usage);
        }

        return m;
    }

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

    /// <summary>
    /// Whether pressing <paramref name="usage"/> completes a system shortcut among <paramref name="held"/> (which includes
    /// it): the key itself under the held modifiers, or — when it is a modifier — any held key under the new set.
    /// </summary>
    public static bool FormsShortcut(ushort usage, IReadOnlyCollection<ushort> held)
    {
        var modifiers = ModifiersOf(held);
        if (RequiresImmersion(usage, modifiers))
        {
            return true;
        }

        if (ModifierOf(usage) == KeyModifiers.None)
        {
            return false;
        }

        foreach (var other in held)
        {
            if (other != usage && ModifierOf(other) == KeyModifiers.None && RequiresImmersion(other, modifiers))
            {
                return true;
            }
        }

        return false;
    }
}
