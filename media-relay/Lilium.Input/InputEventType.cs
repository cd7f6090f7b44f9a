namespace Lilium.Input;

/// <summary>The event kinds of the input protocol (docs/input.md). The high nibble is the class.</summary>
public enum InputEventType : byte
{
    KeyDown = 0x01,
    KeyUp = 0x02,
    MouseMoveAbsolute = 0x10,
    MouseMoveRelative = 0x11,
    MouseButtonDown = 0x12,
    MouseButtonUp = 0x13,
    MouseWheel = 0x14,
    ControllerState = 0x20,
    ControllerDisconnected = 0x21,

    /// <summary>Relay to host only: a viewer's event, tagged with the viewer.</summary>
    Forwarded = 0xF0,
}
