namespace Lilium.Input;

/// <summary>Controller buttons in the common (XInput / W3C "standard gamepad") layout.</summary>
[Flags]
public enum ControllerButtons : ushort
{
    None = 0,
    A = 1 << 0,
    B = 1 << 1,
    X = 1 << 2,
    Y = 1 << 3,
    LeftShoulder = 1 << 4,
    RightShoulder = 1 << 5,
    Back = 1 << 6,
    Start = 1 << 7,
    Guide = 1 << 8,
    LeftStick = 1 << 9,
    RightStick = 1 << 10,
    DPadUp = 1 << 11,
    DPadDown = 1 << 12,
    DPadLeft = 1 << 13,
    DPadRight = 1 << 14,
}
