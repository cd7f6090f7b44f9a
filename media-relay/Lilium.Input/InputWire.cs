using System.Buffers.Binary;

namespace Lilium.Input;

/// <summary>
/// The input protocol's wire format (docs/input.md). One event per data-channel message:
/// <code>
///  0               1               2               3
/// |  Version = 1  |     Type      |      Sequence (u16, BE)       |
/// |                  type-specific payload ...                    |
///
/// KeyDown/KeyUp          (8 B) | HID usage u16 (page 0x07)   | modifiers u8 | 0 |
/// MouseMoveAbsolute      (8 B) | x u16 (0..65535 of display) | y u16                 |
/// MouseMoveRelative      (8 B) | dx i16                      | dy i16                |
/// MouseButtonDown/Up     (6 B) | button u8 | 0 |
/// MouseWheel             (8 B) | dx i16 (120 = one notch)    | dy i16                |
/// ControllerState       (20 B) | index u8 (0..3) | 0 | buttons u16 | lx ly rx ry i16 | lt rt u16 |
/// ControllerDisconnected (6 B) | index u8 | 0 |
/// Forwarded        (20 B + n) | viewer id (16 B, big-endian GUID) | inner event (n B) |   relay → host only
/// </code>
/// Every size is fixed per type; anything else is malformed. All integers are big-endian.
/// </summary>
public static class InputWire
{
    public const byte Version = 1;
    public const int HeaderSize = 4;
    public const int MaxControllers = 4;
    public const int ForwardedOverhead = HeaderSize + 16;

    /// <summary>The size of an event of this type, or 0 for a type clients may not send.</summary>
    public static int SizeOf(InputEventType type) => type switch
    {
        InputEventType.KeyDown or InputEventType.KeyUp => 8,
        InputEventType.MouseMoveAbsolute or InputEventType.MouseMoveRelative or InputEventType.MouseWheel => 8,
        InputEventType.MouseButtonDown or InputEventType.MouseButtonUp => 6,
        InputEventType.ControllerState => 20,
        InputEventType.ControllerDisconnected => 6,
        _ => 0,
    };

    /// <summary>Checks version, type, size and value ranges of a client event; never throws.</summary>
    public static bool TryValidate(ReadOnlySpan<byte> message, out InputEventType type)
    {
        type = default;
        if (message.Length < HeaderSize || message[0] != Version)
        {
            return false;
        }

        type = (InputEventType)message[1];
        var size = SizeOf(type);
        if (size == 0 || message.Length != size)
        {
            return false;
        }

        return type switch
        {
            InputEventType.MouseButtonDown or InputEventType.MouseButtonUp => message[4] <= (byte)MouseButton.Forward,
            InputEventType.ControllerState or InputEventType.ControllerDisconnected => message[4] < MaxControllers,
            _ => true,
        };
    }

    public static ushort Sequence(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadUInt16BigEndian(message[2..]);

    public static void WriteHeader(Span<byte> destination, InputEventType type, ushort sequence)
    {
        destination[0] = Version;
        destination[1] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], sequence);
    }

    /// <summary>Wraps a viewer's event for the host: a Forwarded envelope naming the viewer.</summary>
    public static int WriteForwarded(Span<byte> destination, Guid viewer, ushort sequence, ReadOnlySpan<byte> inner)
    {
        WriteHeader(destination, InputEventType.Forwarded, sequence);
        viewer.TryWriteBytes(destination[HeaderSize..], bigEndian: true, out _);
        inner.CopyTo(destination[ForwardedOverhead..]);
        return ForwardedOverhead + inner.Length;
    }

    /// <summary>Opens a Forwarded envelope; false if it is not one or its inner event is malformed.</summary>
    public static bool TryReadForwarded(ReadOnlySpan<byte> message, out Guid viewer, out ReadOnlySpan<byte> inner)
    {
        viewer = default;
        inner = default;
        if (message.Length <= ForwardedOverhead || message[0] != Version || message[1] != (byte)InputEventType.Forwarded)
        {
            return false;
        }

        inner = message[ForwardedOverhead..];
        if (!TryValidate(inner, out _))
        {
            inner = default;
            return false;
        }

        viewer = new Guid(message.Slice(HeaderSize, 16), bigEndian: true);
        return true;
    }
}
