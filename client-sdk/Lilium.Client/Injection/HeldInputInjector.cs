using Lilium.Input;

namespace Lilium.Client.Injection;

/// <summary>
/// The bookkeeping every OS injector shares: which keys (by HID usage), mouse buttons and controllers
/// each viewer holds, so a press is sent once, a release only for what was pressed, and
/// <see cref="Release(Guid)"/> and <see cref="ReleaseAll"/> let go of exactly what is still down
/// (a controller goes back to neutral). Subclasses turn the calls into the OS's events; all calls
/// come under one lock, and each batch ends with <see cref="Flush(bool)"/>.
/// </summary>
internal abstract class HeldInputInjector : IInputInjector
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Held> _held = [];
    private bool _disposed;

    public void Apply(Guid viewer, InputEvent inputEvent)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_held.TryGetValue(viewer, out var held))
            {
                held = new Held();
                _held[viewer] = held;
            }

            switch (inputEvent)
            {
                case KeyEvent k when HasKey(k.Usage):
                    if (k.Down ? held.Keys.Add(k.Usage) : held.Keys.Remove(k.Usage))
                    {
                        Key(k.Usage, k.Down);
                    }

                    break;
                case MouseButtonEvent b:
                    if (b.Down ? held.Buttons.Add(b.Button) : held.Buttons.Remove(b.Button))
                    {
                        Button(b.Button, b.Down);
                    }

                    break;
                case MouseMoveEvent { Relative: false } m:
                    MoveAbsolute(m.X, m.Y);
                    break;
                case MouseMoveEvent m:
                    MoveRelative(m.X, m.Y);
                    break;
                case MouseWheelEvent w:
                    Wheel(w.DeltaX, w.DeltaY);
                    break;
                case ControllerStateEvent c:
                    if (Controller(c))
                    {
                        if (c.IsNeutral)
                        {
                            held.Controllers.Remove(c.Index);
                        }
                        else
                        {
                            held.Controllers.Add(c.Index);
                        }
                    }

                    break;
                case ControllerDisconnectedEvent d:
                    held.Controllers.Remove(d.Index);
                    Controller(ControllerStateEvent.Neutral(d.Index));

                    break;
            }

            Flush(sync: false);
        }
    }

    public int Release(Guid viewer)
    {
        lock (_gate)
        {
            if (_disposed || !_held.Remove(viewer, out var held))
            {
                return 0;
            }

            var count = ReleaseLocked(held);
            Flush(sync: false);
            return count;
        }
    }

    public int ReleaseAll()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return 0;
            }

            var count = 0;
            foreach (var held in _held.Values)
            {
                count += ReleaseLocked(held);
            }

            _held.Clear();
            Flush(sync: true);
            return count;
        }
    }

    public void Dispose()
    {
        ReleaseAll();
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                Close();
            }
        }
    }

    /// <summary>True when this OS has a key for the HID usage (others are ignored, not tracked).</summary>
    protected abstract bool HasKey(ushort usage);

    protected abstract void Key(ushort usage, bool down);

    protected abstract void Button(MouseButton button, bool down);

    /// <summary>Absolute position, 0..65535 on each axis across the shared area.</summary>
    protected abstract void MoveAbsolute(int x, int y);

    protected abstract void MoveRelative(int dx, int dy);

    /// <summary>Wheel deltas as on the wire: 120 a notch, <paramref name="dy"/> &gt; 0 away from the user, <paramref name="dx"/> &gt; 0 right.</summary>
    protected abstract void Wheel(int dx, int dy);

    /// <summary>Controller input; true when applied. The default ignores it (no virtual gamepad on this OS).</summary>
    protected virtual bool Controller(ControllerStateEvent state) => false;

    /// <summary>Sends what the calls queued (<paramref name="sync"/>: and waits until the OS took it); the default does nothing.</summary>
    protected virtual void Flush(bool sync)
    {
    }

    /// <summary>Releases the OS resources; called once, after everything held was released.</summary>
    protected virtual void Close()
    {
    }

    private int ReleaseLocked(Held held)
    {
        foreach (var key in held.Keys)
        {
            Key(key, false);
        }

        foreach (var button in held.Buttons)
        {
            Button(button, false);
        }

        foreach (var index in held.Controllers)
        {
            Controller(ControllerStateEvent.Neutral(index));
        }

        var count = held.Keys.Count + held.Buttons.Count + held.Controllers.Count;
        held.Keys.Clear();
        held.Buttons.Clear();
        held.Controllers.Clear();
        return count;
    }

    private sealed class Held
    {
        public HashSet<ushort> Keys { get; } = [];

        public HashSet<MouseButton> Buttons { get; } = [];

        public HashSet<byte> Controllers { get; } = [];
    }
}
