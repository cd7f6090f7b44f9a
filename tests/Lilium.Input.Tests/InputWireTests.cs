using Lilium.Input;
using Lilium.Protocol;

namespace Lilium.Input.Tests;

[Trait("Category", "Unit")]
public sealed class InputWireTests
{
    public static TheoryData<InputEvent> Events => new()
    {
        new KeyEvent(true, 0x04, KeyModifiers.LeftShift),
        new KeyEvent(false, 0xE3, KeyModifiers.None),
        new MouseMoveEvent(false, 65535, 0),
        new MouseMoveEvent(true, -32768, 32767),
        new MouseButtonEvent(MouseButton.Forward, true),
        new MouseButtonEvent(MouseButton.Left, false),
        new MouseWheelEvent(-120, 240),
        new ControllerStateEvent(3, ControllerButtons.A | ControllerButtons.DPadRight, -1, 2, -3, 4, 65535, 1),
        new ControllerDisconnectedEvent(0),
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void Events_round_trip(InputEvent value)
    {
        var bytes = value.ToArray(0xBEEF);
        Assert.Equal(InputWire.SizeOf(value.Type), bytes.Length);
        Assert.True(InputEvent.TryRead(bytes, out var back, out var seq));
        Assert.Equal(value, back);
        Assert.Equal(0xBEEF, seq);
    }

    [Fact]
    public void Key_down_matches_the_documented_bytes()
    {
        // version 1, KeyDown, seq 7, usage 0x0004 ('a'), LeftShift, reserved
        Assert.Equal(new byte[] { 1, 0x01, 0, 7, 0, 4, 0x02, 0 }, new KeyEvent(true, 4, KeyModifiers.LeftShift).ToArray(7));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1, 1, 0 })]
    [InlineData(new byte[] { 2, 1, 0, 0, 0, 4, 0, 0 })]          // version 2
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 4, 0 })]             // short key event
    [InlineData(new byte[] { 1, 1, 0, 0, 0, 4, 0, 0, 0 })]       // long key event
    [InlineData(new byte[] { 1, 0x12, 0, 0, 5, 0 })]             // mouse button 5 does not exist
    [InlineData(new byte[] { 1, 0x21, 0, 0, 4, 0 })]             // controller index 4
    [InlineData(new byte[] { 1, 0x77, 0, 0, 0, 0, 0, 0 })]       // unknown type
    [InlineData(new byte[] { 1, 0xF0, 0, 0, 0, 0, 0, 0 })]       // clients may not send Forwarded
    public void Malformed_events_are_refused(byte[] bytes)
    {
        Assert.False(InputWire.TryValidate(bytes, out _));
        Assert.False(InputEvent.TryRead(bytes, out var e, out _));
        Assert.Null(e);
        Assert.Equal(InputVerdict.Malformed, new InputGate(InputPermissionsExtensions.ValidMask).Check(bytes));
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        var rng = new Random(3);
        var gate = new InputGate(InputPermissionsExtensions.ValidMask);
        for (var i = 0; i < 100_000; i++)
        {
            var bytes = new byte[rng.Next(0, 24)];
            rng.NextBytes(bytes);
            if (rng.Next(2) == 0 && bytes.Length > 1)
            {
                bytes[0] = 1;
            }

            InputEvent.TryRead(bytes, out _, out _);
            gate.Check(bytes);
            InputWire.TryReadForwarded(bytes, out _, out _);
        }
    }

    [Fact]
    public void Forwarded_envelopes_name_the_viewer()
    {
        var viewer = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");
        var inner = new MouseWheelEvent(0, -120).ToArray(9);
        var buffer = new byte[64];
        var n = InputWire.WriteForwarded(buffer, viewer, 1, inner);
        Assert.True(InputWire.TryReadForwarded(buffer.AsSpan(0, n), out var who, out var back));
        Assert.Equal(viewer, who);
        Assert.Equal(inner, back.ToArray());
        Assert.Equal(0x00, buffer[4]);
        Assert.Equal(0xFF, buffer[19]);

        // A truncated inner event, or a Forwarded envelope inside another, is refused.
        Assert.False(InputWire.TryReadForwarded(buffer.AsSpan(0, n - 1), out _, out _));
        var nested = new byte[128];
        var m = InputWire.WriteForwarded(nested, viewer, 2, buffer.AsSpan(0, n));
        Assert.False(InputWire.TryReadForwarded(nested.AsSpan(0, m), out _, out _));
    }
}
