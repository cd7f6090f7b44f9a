namespace Lilium.Protocol;

/// <summary>
/// What a host lets one viewer do. A small integer inside tokens (relay grants); on every JSON surface it is a
/// <see cref="PermissionSet"/>.
/// </summary>
[Flags]
public enum InputPermissions : byte
{
    /// <summary>Watch only.</summary>
    None = 0,

    /// <summary>Keys (HID page 0x07), except system shortcuts, which also need <see cref="Immersion"/>.</summary>
    Keyboard = 1 << 0,

    /// <summary>Absolute pointer, buttons and wheel; relative motion also needs <see cref="Immersion"/>.</summary>
    Mouse = 1 << 1,

    /// <summary>Up to four game controllers.</summary>
    Controller = 1 << 2,

    /// <summary>Exclusive, system-level input (pointer lock, OS shortcuts); see docs/input.md.</summary>
    Immersion = 1 << 3,
}

/// <summary>Checks on <see cref="InputPermissions"/> values read from the outside.</summary>
public static class InputPermissionsExtensions
{
    /// <summary>Every defined flag.</summary>
    public const InputPermissions ValidMask =
        InputPermissions.Keyboard | InputPermissions.Mouse | InputPermissions.Controller | InputPermissions.Immersion;

    /// <summary>True when no undefined bit is set.</summary>
    public static bool IsValid(this InputPermissions value) => (value & ~ValidMask) == 0;
}

/// <summary>
/// The one JSON form of <see cref="InputPermissions"/>, used by the REST API, signaling and the control channel:
/// <c>{"keyboard":true,"mouse":true,"controller":false,"immersion":false}</c>. An absent flag is false; a flag that
/// is present but not a boolean makes the message malformed.
/// </summary>
/// <param name="Keyboard">Keys (system shortcuts also need <paramref name="Immersion"/>).</param>
/// <param name="Mouse">Pointer, buttons, wheel.</param>
/// <param name="Controller">Game controllers.</param>
/// <param name="Immersion">Pointer lock, relative motion and OS shortcuts.</param>
public sealed record PermissionSet(bool Keyboard = false, bool Mouse = false, bool Controller = false, bool Immersion = false)
{
    /// <summary>Nothing granted.</summary>
    public static PermissionSet None { get; } = new();

    /// <summary>The flags this object names.</summary>
    public InputPermissions ToFlags() =>
        (Keyboard ? InputPermissions.Keyboard : 0) | (Mouse ? InputPermissions.Mouse : 0)
        | (Controller ? InputPermissions.Controller : 0) | (Immersion ? InputPermissions.Immersion : 0);

    /// <summary>The JSON form of <paramref name="flags"/>.</summary>
    public static PermissionSet From(InputPermissions flags) => new(
        flags.HasFlag(InputPermissions.Keyboard), flags.HasFlag(InputPermissions.Mouse),
        flags.HasFlag(InputPermissions.Controller), flags.HasFlag(InputPermissions.Immersion));
}
