using Lilium.Input;
using Lilium.Protocol;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// The viewer input wire format (docs/input.md) as the relay's gate meets it: validation, the
/// Forwarded envelope, decoding, and a stateful <see cref="InputGate"/> whose grant the input can
/// change (a byte beyond the longest event picks new permissions, as a host's grant change would).
/// </summary>
internal sealed class InputTarget : IFuzzTarget
{
    private readonly InputGate _gate = new(InputPermissions.Keyboard | InputPermissions.Mouse | InputPermissions.Controller);

    public void Run(ReadOnlySpan<byte> input)
    {
        if (InputWire.TryValidate(input, out _))
        {
            InputWire.Sequence(input);
        }

        InputWire.TryReadForwarded(input, out _, out var inner);
        InputEvent.TryRead(input, out _, out _);
        InputEvent.TryRead(inner, out _, out _);
        // The gate rewrites the modifier byte in place (it computes modifiers from held keys), so it gets a copy.
        Span<byte> copy = input.Length <= 256 ? stackalloc byte[input.Length] : new byte[input.Length];
        input.CopyTo(copy);
        _gate.Check(copy);
        if (input.Length == 21)
        {
            _gate.ChangePermissions((InputPermissions)(input[20] & (byte)InputPermissionsExtensions.ValidMask));
        }
    }
}
