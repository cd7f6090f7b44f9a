using Lilium.Input;

namespace Lilium.Client.Injection;

/// <summary>
/// Applies viewers' input to this machine. Remembers what each viewer holds down so that
/// <see cref="Release(Guid)"/> (grant revoked, viewer left) and <see cref="ReleaseAll"/> (host
/// stopping) leave no key or button stuck. Thread-safe.
/// </summary>
public interface IInputInjector : IDisposable
{
    /// <summary>Applies one event from <paramref name="viewer"/>.</summary>
    void Apply(Guid viewer, InputEvent inputEvent);

    /// <summary>Releases every key, button and controller <paramref name="viewer"/> still holds; returns how many.</summary>
    int Release(Guid viewer);

    /// <summary>Releases everything every viewer holds; returns how many.</summary>
    int ReleaseAll();
}

/// <summary>Opens the injector for this OS.</summary>
public static class InputInjection
{
    /// <summary>
    /// XTest on Linux/X11 (keyboard, mouse) plus uinput gamepads where <c>/dev/uinput</c> is writable.
    /// Windows (SendInput) and macOS (CGEvent) are not implemented and throw <see cref="PlatformNotSupportedException"/>.
    /// </summary>
    /// <param name="display">X11 display; null for <c>$DISPLAY</c>.</param>
    /// <param name="area">The shared area absolute pointer coordinates map onto (the captured monitor or region).</param>
    /// <param name="log">Where to say what is unavailable (e.g. no uinput).</param>
    public static IInputInjector Open(string? display, Capture.ScreenRegion area, Action<string>? log = null)
    {
        if (OperatingSystem.IsLinux())
        {
            return X11InputInjector.Open(display, area, log ?? (_ => { }));
        }

        throw new PlatformNotSupportedException(
            "Input injection is implemented for Linux/X11 only; Windows (SendInput) and macOS (CGEvent) are not done yet (docs/host.md).");
    }
}
