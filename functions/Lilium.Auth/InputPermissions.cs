namespace Lilium.Auth;

/// <summary>What a host lets one viewer do. Serialized as a small integer on the wire.</summary>
[Flags]
public enum InputPermissions : byte
{
    None = 0,
    Keyboard = 1 << 0,
    Mouse = 1 << 1,
    Controller = 1 << 2,
    /// <summary>Exclusive, system-level input (pointer lock, OS shortcuts); see docs/input.md.</summary>
    Immersion = 1 << 3,
}

public static class InputPermissionsExtensions
{
    public const InputPermissions ValidMask =
        InputPermissions.Keyboard | InputPermissions.Mouse | InputPermissions.Controller | InputPermissions.Immersion;

    public static bool IsValid(this InputPermissions value) => (value & ~ValidMask) == 0;
}
