using System.Buffers.Binary;
using Lilium.Protocol;

namespace Lilium.Input;

/// <summary>
/// The relay's enforcement of one viewer's input grant. It checks each raw event against the
/// current <see cref="InputPermissions"/> without decoding it into objects, and remembers what the
/// viewer holds down through the gate, so that revoking a grant can release those keys, buttons
/// and sticks on the host instead of leaving them stuck. Modifier state comes from the keys held
/// through the gates of the whole session (<see cref="SessionKeys"/>), never from the modifier byte
/// the client sends: the gate rewrites that byte, and judges system shortcuts on what is held. Not
/// thread-safe: one per viewer, driven by that viewer's data channel.
/// </summary>
public sealed class InputGate(InputPermissions permissions, SessionKeys? session = null)
{
    private readonly SessionKeys _session = session ?? new SessionKeys();

    private readonly Dictionary<ushort, bool> _heldKeys = []; // usage -> needed immersion
    private readonly HashSet<byte> _activeControllers = [];
    private byte _heldButtons;

    public InputPermissions Permissions { get; private set; } = permissions;

    /// <summary>Checks one raw event; an allowed key event's modifier byte is rewritten to the modifiers actually held.</summary>
    public InputVerdict Check(Span<byte> message)
    {
        if (!InputWire.TryValidate(message, out var type))
        {
            return InputVerdict.Malformed;
        }

        var p = message[InputWire.HeaderSize..];
        switch (type)
        {
            case InputEventType.KeyDown:
                {
                    var usage = BinaryPrimitives.ReadUInt16BigEndian(p);
                    if (!Has(InputPermissions.Keyboard))
                    {
                        return InputVerdict.NoKeyboardGrant;
                    }

                    var immersive = _session.WouldFormShortcut(usage, _heldKeys.Keys);
                    if (immersive && !Has(InputPermissions.Immersion))
                    {
                        return InputVerdict.NoImmersionGrant;
                    }

                    if (!_heldKeys.ContainsKey(usage))
                    {
                        _session.Press(usage);
                    }

                    _heldKeys[usage] = immersive || _heldKeys.GetValueOrDefault(usage);
                    message[InputWire.HeaderSize + 2] = (byte)_session.Modifiers(_heldKeys.Keys);
                    return InputVerdict.Allowed;
                }

            case InputEventType.KeyUp:
                {
                    var usage = BinaryPrimitives.ReadUInt16BigEndian(p);
                    if (!_heldKeys.Remove(usage))
                    {
                        return Has(InputPermissions.Keyboard) ? InputVerdict.Unpaired : InputVerdict.NoKeyboardGrant;
                    }

                    _session.Release(usage);
                    message[InputWire.HeaderSize + 2] = (byte)_session.Modifiers(_heldKeys.Keys);
                    return InputVerdict.Allowed;
                }

            case InputEventType.MouseMoveAbsolute or InputEventType.MouseWheel:
                return Has(InputPermissions.Mouse) ? InputVerdict.Allowed : InputVerdict.NoMouseGrant;

            case InputEventType.MouseMoveRelative:
                return !Has(InputPermissions.Mouse) ? InputVerdict.NoMouseGrant
                    : !Has(InputPermissions.Immersion) ? InputVerdict.NoImmersionGrant
                    : InputVerdict.Allowed;

            case InputEventType.MouseButtonDown:
                if (!Has(InputPermissions.Mouse))
                {
                    return InputVerdict.NoMouseGrant;
                }

                _heldButtons |= (byte)(1 << p[0]);
                return InputVerdict.Allowed;

            case InputEventType.MouseButtonUp:
                {
                    var bit = (byte)(1 << p[0]);
                    if ((_heldButtons & bit) != 0)
                    {
                        _heldButtons &= (byte)~bit;
                        return InputVerdict.Allowed;
                    }

                    return Has(InputPermissions.Mouse) ? InputVerdict.Unpaired : InputVerdict.NoMouseGrant;
                }

            case InputEventType.ControllerState:
                if (!Has(InputPermissions.Controller))
                {
                    return InputVerdict.NoControllerGrant;
                }

                if (p[2..].IndexOfAnyExcept((byte)0) >= 0)
                {
                    _activeControllers.Add(p[0]);
                }
                else
                {
                    _activeControllers.Remove(p[0]);
                }

                return InputVerdict.Allowed;

            case InputEventType.ControllerDisconnected:
                if (!Has(InputPermissions.Controller))
                {
                    return InputVerdict.NoControllerGrant;
                }

                _activeControllers.Remove(p[0]);
                return InputVerdict.Allowed;

            default:
                return InputVerdict.Malformed;
        }
    }

    /// <summary>
    /// Applies a new grant. Returns the events the host must receive so nothing the viewer held
    /// stays pressed: key-ups, button-ups and neutral controller states (sequence number 0).
    /// </summary>
    public IReadOnlyList<byte[]> ChangePermissions(InputPermissions next)
    {
        Permissions = next;
        var releases = new List<byte[]>();
        var keyboard = Has(InputPermissions.Keyboard);
        var immersion = Has(InputPermissions.Immersion);
        foreach (var (usage, immersive) in _heldKeys.ToList())
        {
            if (!keyboard || (immersive && !immersion))
            {
                _heldKeys.Remove(usage);
                _session.Release(usage);
                releases.Add(new KeyEvent(false, usage, KeyModifiers.None).ToArray(0));
            }
        }

        if (!Has(InputPermissions.Mouse))
        {
            for (byte b = 0; b <= (byte)MouseButton.Forward; b++)
            {
                if ((_heldButtons & (1 << b)) != 0)
                {
                    releases.Add(new MouseButtonEvent((MouseButton)b, false).ToArray(0));
                }
            }

            _heldButtons = 0;
        }

        if (!Has(InputPermissions.Controller))
        {
            foreach (var index in _activeControllers.Order())
            {
                releases.Add(ControllerStateEvent.Neutral(index).ToArray(0));
            }

            _activeControllers.Clear();
        }

        return releases;
    }

    private bool Has(InputPermissions p) => (Permissions & p) == p;
}
