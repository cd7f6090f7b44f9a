namespace Lilium.Input;

/// <summary>
/// The keys every viewer of one session holds down through their gates, counted per usage. The host's OS sees one
/// keyboard, so a chord is judged on the union: viewer A holding Ctrl+Alt and viewer B pressing Delete is Ctrl+Alt+Delete.
/// Thread-safe (gates of different viewers may be driven from different threads).
/// </summary>
public sealed class SessionKeys
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ushort, int> _held = [];

    /// <summary>Whether <paramref name="usage"/> going down now, with everything already held in the session, forms a system shortcut.</summary>
    public bool WouldFormShortcut(ushort usage, IReadOnlyCollection<ushort> ownHeld)
    {
        lock (_gate)
        {
            var all = new HashSet<ushort>(_held.Keys) { usage };
            all.UnionWith(ownHeld);
            return SystemShortcuts.FormsShortcut(usage, all);
        }
    }

    /// <summary>The modifiers held across the session (what the host's OS applies to the next key).</summary>
    public KeyModifiers Modifiers(IReadOnlyCollection<ushort> ownHeld)
    {
        lock (_gate)
        {
            return SystemShortcuts.ModifiersOf(_held.Keys) | SystemShortcuts.ModifiersOf(ownHeld);
        }
    }

    internal void Press(ushort usage)
    {
        lock (_gate)
        {
            _held[usage] = _held.GetValueOrDefault(usage) + 1;
        }
    }

    internal void Release(ushort usage)
    {
        lock (_gate)
        {
            if (_held.TryGetValue(usage, out var n))
            {
                if (n <= 1)
                {
                    _held.Remove(usage);
                }
                else
                {
                    _held[usage] = n - 1;
                }
            }
        }
    }
}
