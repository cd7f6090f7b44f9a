namespace Lilium.Input;

/// <summary>What the relay did with one viewer event, and why; the reason labels the denied-events metric.</summary>
public enum InputVerdict : byte
{
    Allowed,
    Malformed,
    NoKeyboardGrant,
    NoMouseGrant,
    NoControllerGrant,
    NoImmersionGrant,
    /// <summary>A release of something this viewer never pressed (through the gate): nothing to release.</summary>
    Unpaired,
}
