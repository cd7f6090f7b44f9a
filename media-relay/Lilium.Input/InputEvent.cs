using System.Buffers.Binary;

namespace Lilium.Input;

/// <summary>A decoded input event, for apps. The relay checks raw bytes with <see cref="InputGate"/> instead.</summary>
public abstract record InputEvent
{
    public abstract InputEventType Type { get; }

    public int Size => InputWire.SizeOf(Type);

    /// <summary>Writes the event with the given sequence number; returns its size.</summary>
    public int WriteTo(Span<byte> destination, ushort sequence)
    {
        var size = Size;
        destination[..size].Clear();
        InputWire.WriteHeader(destination, Type, sequence);
        WritePayload(destination[InputWire.HeaderSize..size]);
        return size;
    }

    public byte[] ToArray(ushort sequence)
    {
        var bytes = new byte[Size];
        WriteTo(bytes, sequence);
        return bytes;
    }

    /// <summary>Decodes one event; false (never an exception) on anything malformed.</summary>
    public static bool TryRead(ReadOnlySpan<byte> message, out InputEvent? value, out ushort sequence)
    {
        value = null;
        sequence = 0;
        if (!InputWire.TryValidate(message, out var type))
        {
            return false;
        }

        sequence = InputWire.Sequence(message);
        var p = message[InputWire.HeaderSize..];
        value = type switch
        {
            InputEventType.KeyDown or InputEventType.KeyUp =>
                new KeyEvent(type == InputEventType.KeyDown, BinaryPrimitives.ReadUInt16BigEndian(p), (KeyModifiers)p[2]),
            InputEventType.MouseMoveAbsolute =>
                new MouseMoveEvent(false, BinaryPrimitives.ReadUInt16BigEndian(p), BinaryPrimitives.ReadUInt16BigEndian(p[2..])),
            InputEventType.MouseMoveRelative =>
                new MouseMoveEvent(true, BinaryPrimitives.ReadInt16BigEndian(p), BinaryPrimitives.ReadInt16BigEndian(p[2..])),
            InputEventType.MouseButtonDown or InputEventType.MouseButtonUp =>
                new MouseButtonEvent((MouseButton)p[0], type == InputEventType.MouseButtonDown),
            InputEventType.MouseWheel =>
                new MouseWheelEvent(BinaryPrimitives.ReadInt16BigEndian(p), BinaryPrimitives.ReadInt16BigEndian(p[2..])),
            InputEventType.ControllerState => new ControllerStateEvent(
                p[0],
                (ControllerButtons)BinaryPrimitives.ReadUInt16BigEndian(p[2..]),
                BinaryPrimitives.ReadInt16BigEndian(p[4..]),
                BinaryPrimitives.ReadInt16BigEndian(p[6..]),
                BinaryPrimitives.ReadInt16BigEndian(p[8..]),
                BinaryPrimitives.ReadInt16BigEndian(p[10..]),
                BinaryPrimitives.ReadUInt16BigEndian(p[12..]),
                BinaryPrimitives.ReadUInt16BigEndian(p[14..])),
            InputEventType.ControllerDisconnected => new ControllerDisconnectedEvent(p[0]),
            _ => null,
        };
        return value is not null;
    }

    private protected abstract void WritePayload(Span<byte> payload);
}

/// <summary>A key press or release, by USB HID usage id (keyboard page 0x07), with the modifier state.</summary>
public sealed record KeyEvent(bool Down, ushort Usage, KeyModifiers Modifiers) : InputEvent
{
    public override InputEventType Type => Down ? InputEventType.KeyDown : InputEventType.KeyUp;

    private protected override void WritePayload(Span<byte> p)
    {
        BinaryPrimitives.WriteUInt16BigEndian(p, Usage);
        p[2] = (byte)Modifiers;
    }
}

/// <summary>
/// Pointer motion: absolute (X, Y in 0..65535 across the shared display) or relative (pointer lock;
/// X, Y are signed deltas and need the immersion grant).
/// </summary>
public sealed record MouseMoveEvent(bool Relative, int X, int Y) : InputEvent
{
    public override InputEventType Type => Relative ? InputEventType.MouseMoveRelative : InputEventType.MouseMoveAbsolute;

    private protected override void WritePayload(Span<byte> p)
    {
        if (Relative)
        {
            BinaryPrimitives.WriteInt16BigEndian(p, checked((short)X));
            BinaryPrimitives.WriteInt16BigEndian(p[2..], checked((short)Y));
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(p, checked((ushort)X));
            BinaryPrimitives.WriteUInt16BigEndian(p[2..], checked((ushort)Y));
        }
    }
}

public sealed record MouseButtonEvent(MouseButton Button, bool Down) : InputEvent
{
    public override InputEventType Type => Down ? InputEventType.MouseButtonDown : InputEventType.MouseButtonUp;

    private protected override void WritePayload(Span<byte> p) => p[0] = (byte)Button;
}

/// <summary>Wheel motion; 120 units make one notch, as on Windows.</summary>
public sealed record MouseWheelEvent(short DeltaX, short DeltaY) : InputEvent
{
    public override InputEventType Type => InputEventType.MouseWheel;

    private protected override void WritePayload(Span<byte> p)
    {
        BinaryPrimitives.WriteInt16BigEndian(p, DeltaX);
        BinaryPrimitives.WriteInt16BigEndian(p[2..], DeltaY);
    }
}

/// <summary>A whole controller snapshot: buttons, sticks (signed) and triggers (0..65535).</summary>
public sealed record ControllerStateEvent(
    byte Index, ControllerButtons Buttons, short LeftX, short LeftY, short RightX, short RightY, ushort LeftTrigger, ushort RightTrigger) : InputEvent
{
    public override InputEventType Type => InputEventType.ControllerState;

    /// <summary>True when nothing is pressed or deflected.</summary>
    public bool IsNeutral => this == Neutral(Index);

    public static ControllerStateEvent Neutral(byte index) => new(index, ControllerButtons.None, 0, 0, 0, 0, 0, 0);

    private protected override void WritePayload(Span<byte> p)
    {
        p[0] = Index;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)Buttons);
        BinaryPrimitives.WriteInt16BigEndian(p[4..], LeftX);
        BinaryPrimitives.WriteInt16BigEndian(p[6..], LeftY);
        BinaryPrimitives.WriteInt16BigEndian(p[8..], RightX);
        BinaryPrimitives.WriteInt16BigEndian(p[10..], RightY);
        BinaryPrimitives.WriteUInt16BigEndian(p[12..], LeftTrigger);
        BinaryPrimitives.WriteUInt16BigEndian(p[14..], RightTrigger);
    }
}

public sealed record ControllerDisconnectedEvent(byte Index) : InputEvent
{
    public override InputEventType Type => InputEventType.ControllerDisconnected;

    private protected override void WritePayload(Span<byte> p) => p[0] = Index;
}
