using Lilium.Protocol;
using Lilium.Input;

namespace Lilium.Input.Tests;

[Trait("Category", "Unit")]
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
    [InlineData(SystemShortcuts.LeftMeta)]
    [InlineData(0x15, SystemShortcuts.RightMeta)]                                  // Win+R
    [InlineData(SystemShortcuts.Tab, SystemShortcuts.LeftAlt)]                     // Alt+Tab
    [InlineData(SystemShortcuts.F4, SystemShortcuts.RightAlt)]                     // Alt+F4
    [InlineData(SystemShortcuts.Escape, SystemShortcuts.LeftCtrl)]                 // Ctrl+Esc
    [InlineData(SystemShortcuts.DeleteForward, SystemShortcuts.LeftCtrl, SystemShortcuts.LeftAlt)]
    public void System_shortcuts_and_pointer_lock_need_immersion(ushort usage, params ushort[] held)
    {
        var gate = new InputGate(InputPermissions.Keyboard | InputPermissions.Mouse);
        static bool IsMeta(ushort u) => u is SystemShortcuts.LeftMeta or SystemShortcuts.RightMeta;
        foreach (var modifier in held)
        {
            // the Windows / Command key itself needs immersion, so without it the chord cannot even start
            Assert.Equal(IsMeta(modifier) ? InputVerdict.NoImmersionGrant : InputVerdict.Allowed, gate.Check(Key(true, modifier)));
        }

        Assert.Equal(held.Any(IsMeta) ? InputVerdict.Allowed : InputVerdict.NoImmersionGrant, gate.Check(Key(true, usage)));
        gate.Check(Key(false, usage));
        Assert.Equal(InputVerdict.NoImmersionGrant, gate.Check(new MouseMoveEvent(true, 5, -5).ToArray(1)));
        foreach (var modifier in held)
        {
            gate.Check(Key(false, modifier));
        }

        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, SystemShortcuts.Tab)));            // plain Tab is fine
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(false, SystemShortcuts.Tab)));

        gate.ChangePermissions(All);
        foreach (var modifier in held)
        {
            Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, modifier)));
        }

        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, usage)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(new MouseMoveEvent(true, 5, -5).ToArray(1)));
    }

    [Fact]
    public void The_clients_modifier_byte_is_ignored_and_rewritten_to_what_is_held()
    {
        // Issue 23: before, a viewer claimed no modifiers in the byte while holding Ctrl+Alt, and Delete passed;
        // and a claimed modifier reached the host without its key ever going down.
        var gate = new InputGate(InputPermissions.Keyboard);
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, SystemShortcuts.LeftCtrl)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, SystemShortcuts.LeftAlt)));
        Assert.Equal(InputVerdict.NoImmersionGrant, gate.Check(Key(true, SystemShortcuts.DeleteForward, KeyModifiers.None)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(false, SystemShortcuts.LeftAlt)));
        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(false, SystemShortcuts.LeftCtrl)));

        var claimed = Key(true, 0x04, KeyModifiers.LeftCtrl | KeyModifiers.LeftMeta); // 'a' claiming Ctrl+Win, nothing held
        Assert.Equal(InputVerdict.Allowed, gate.Check(claimed));
        Assert.True(InputEvent.TryRead(claimed, out var parsed, out _));
        Assert.Equal(KeyModifiers.None, Assert.IsType<KeyEvent>(parsed).Modifiers);

        Assert.Equal(InputVerdict.Allowed, gate.Check(Key(true, SystemShortcuts.LeftShift)));
        var shifted = Key(true, 0x05);
        Assert.Equal(InputVerdict.Allowed, gate.Check(shifted));
        Assert.True(InputEvent.TryRead(shifted, out parsed, out _));
        Assert.Equal(KeyModifiers.LeftShift, Assert.IsType<KeyEvent>(parsed).Modifiers);
    }

    [Fact]
    public void Chords_across_viewers_cannot_combine_into_a_system_shortcut()
    {
        var session = new SessionKeys();
        var a = new InputGate(InputPermissions.Keyboard, session);
        var b = new InputGate(InputPermissions.Keyboard, session);
        var immersed = new InputGate(InputPermissions.Keyboard | InputPermissions.Immersion, session);

        Assert.Equal(InputVerdict.Allowed, a.Check(Key(true, SystemShortcuts.LeftCtrl)));
        Assert.Equal(InputVerdict.Allowed, a.Check(Key(true, SystemShortcuts.LeftAlt)));
        Assert.Equal(InputVerdict.NoImmersionGrant, b.Check(Key(true, SystemShortcuts.DeleteForward)));   // Ctrl+Alt (A) + Del (B)
        Assert.Equal(InputVerdict.Allowed, b.Check(Key(true, 0x04)));                                      // an ordinary key is fine

        // the other order: B holds Tab, A adds Alt → Alt+Tab
        var shared = new SessionKeys();
        var c = new InputGate(InputPermissions.Keyboard, shared);
        var d = new InputGate(InputPermissions.Keyboard, shared);
        Assert.Equal(InputVerdict.Allowed, d.Check(Key(true, SystemShortcuts.Tab)));
        Assert.Equal(InputVerdict.NoImmersionGrant, c.Check(Key(true, SystemShortcuts.LeftAlt)));

        // a viewer with immersion may complete the chord; once A lets go, B's Delete is plain again
        Assert.Equal(InputVerdict.Allowed, immersed.Check(Key(true, SystemShortcuts.DeleteForward)));
        Assert.Equal(InputVerdict.Allowed, immersed.Check(Key(false, SystemShortcuts.DeleteForward)));
        a.ChangePermissions(InputPermissions.None); // releases what A held
        Assert.Equal(InputVerdict.Allowed, b.Check(Key(true, SystemShortcuts.DeleteForward)));
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
