using Lilium.Protocol;
using Lilium.Input;

namespace Lilium.Input.Tests;

public sealed class InputGateTests
{
    private const InputPermissions All = InputPermissions.Keyboard | InputPermissions.Mouse | InputPermissions.Controller | InputPermissions.Immersion;

    private static byte[] Key(bool down, ushort usage, KeyModifiers mods = KeyModifiers.None) => new KeyEvent(down, usage, mods).ToArray(1);

    [Theory]
    [InlineData(InputPermissions.None, InputVerdict.NoKeyboardGrant, InputVerdict.NoMouseGrant, InputVerdict.NoControllerGrant)]
    [InlineData(InputPermissions.Keyboard, InputVerdict.Allowed, InputVerdict.NoMouseGrant, InputVerdict.NoControllerGrant)]
    [InlineData(InputPermissions.Mouse, InputVerdict.NoKeyboardGrant, InputVerdict.Allowed, InputVerdict.NoControllerGrant)]
    [InlineData(InputPermissions.Controller, InputVerdict.NoKeyboardGrant, InputVerdict.NoMouseGrant, InputVerdict.Allowed)]
    public void Each_class_needs_its_grant(InputPermissions grant, InputVerdict key, InputVerdict mouse, InputVerdict controller)
    {
        var gate = new InputGate(grant);
        Assert.Equal(key, gate.Check(Key(true, 0x04)));
        Assert.Equal(mouse, gate.Check(new MouseMoveEvent(false, 100, 100).ToArray(2)));
        Assert.Equal(mouse, gate.Check(new MouseButtonEvent(MouseButton.Left, true).ToArray(3)));
        Assert.Equal(mouse, gate.Check(new MouseWheelEvent(0, 120).ToArray(4)));
        Assert.Equal(controller, gate.Check(new ControllerStateEvent(0, ControllerButtons.A, 0, 0, 0, 0, 0, 0).ToArray(5)));
    }

    [Theory]
    [InlineData(SystemShortcuts.LeftMeta, KeyModifiers.None)]
    [InlineData(0x15, KeyModifiers.RightMeta)]                                  // Win+R
    [InlineData(SystemShortcuts.Tab, KeyModifiers.LeftAlt)]                     // Alt+Tab
    [InlineData(SystemShortcuts.F4, KeyModifiers.RightAlt)]                     // Alt+F4
    [InlineData(SystemShortcuts.Escape, KeyModifiers.LeftCtrl)]                 // Ctrl+Esc
    [InlineData(SystemShortcuts.DeleteForward, KeyModifiers.LeftCtrl | KeyModifiers.LeftAlt)]
    public void System_shortcuts_and_pointer_lock_need_immersion(ushort usage, KeyModifiers mods)
    {
        var gate = new InputGate(InputPermissions.Keyboard | InputPermissions.Mouse);
        Assert.Equal(InputVerdict.NoImmersionGrant, gate.Check(Key(true, usage, mods)));
        Assert.Equal(InputVerdict.NoImmersionGrant, gate.Check(new MouseMoveEvent(true, 5, -5).ToArray(1)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, SystemShortcuts.Tab)));            // plain Tab is fine
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, SystemShortcuts.DeleteForward, KeyModifiers.LeftCtrl)));

        gate.ChangePermissions(All);
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, usage, mods)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(new MouseMoveEvent(true, 5, -5).ToArray(1)));
    }

    [Fact]
    public void Releases_pass_only_for_what_was_pressed_through_the_gate()
    {
        var gate = new InputGate(InputPermissions.Keyboard);
        Assert.Equal(InputVerdict.Unpaired, gate.Check(Key(false, 0x04)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, 0x04)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(false, 0x04)));
        Assert.Equal(InputVerdict.Unpaired, gate.Check(Key(false, 0x04)));
        Assert.Equal(InputVerdict.NoMouseGrant, gate.Check(new MouseButtonEvent(MouseButton.Left, false).ToArray(1)));
    }

    [Fact]
    public void Revoking_releases_everything_held_and_blocks_what_follows()
    {
        var gate = new InputGate(All);
        gate.Check(Key(true, 0x04));
        gate.Check(Key(true, SystemShortcuts.LeftMeta));
        gate.Check(new MouseButtonEvent(MouseButton.Right, true).ToArray(1));
        gate.Check(new ControllerStateEvent(2, ControllerButtons.None, 100, 0, 0, 0, 0, 0).ToArray(1));
        gate.Check(new ControllerStateEvent(1, ControllerButtons.None, 0, 0, 0, 0, 0, 0).ToArray(1)); // neutral: nothing to release

        // Dropping only immersion releases only the Meta key.
        var releases = gate.ChangePermissions(InputPermissions.Keyboard | InputPermissions.Mouse | InputPermissions.Controller);
        Assert.Equal([new KeyEvent(false, SystemShortcuts.LeftMeta, KeyModifiers.None)], Decode(releases));

        releases = gate.ChangePermissions(InputPermissions.None);
        Assert.Equal(
            new InputEvent[] { new KeyEvent(false, 0x04, KeyModifiers.None), new MouseButtonEvent(MouseButton.Right, false), ControllerStateEvent.Neutral(2) },
            Decode(releases));
        Assert.Equal(InputVerdict.NoKeyboardGrant, gate.Check(Key(false, 0x04)));
        Assert.Empty(gate.ChangePermissions(InputPermissions.None));
    }

    private static List<InputEvent> Decode(IReadOnlyList<byte[]> messages) =>
        [.. messages.Select(m => { Assert.True(InputEvent.TryRead(m, out var e, out var seq)); Assert.Equal(0, seq); return e!; })];
}
