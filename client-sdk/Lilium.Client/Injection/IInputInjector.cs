using Lilium.Client.Platform;
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

/// <summary>Opens the injector for this OS (<see cref="HostPlatform.Input"/>).</summary>
public static class InputInjection
{
    /// <summary>
    /// XTest on Linux/X11 (keyboard, mouse) plus uinput gamepads where <c>/dev/uinput</c> is writable;
    /// <c>SendInput</c> on Windows and <c>CGEventPost</c> on macOS (keyboard and mouse; built, untested: docs/host.md).
    /// </summary>
    /// <param name="display">X11 display; null for <c>$DISPLAY</c>; ignored elsewhere.</param>
    /// <param name="area">The shared area absolute pointer coordinates map onto (<see cref="Capture.IScreenSource.Area"/>).</param>
    /// <param name="log">Where to say what is unavailable (e.g. no uinput).</param>
    public static IInputInjector Open(string? display, Capture.ScreenRegion area, Action<string>? log = null)
    {
        log ??= _ => { };
        return HostPlatform.Input(HostPlatform.Current) switch
        {
            InputBackend.XTest when OperatingSystem.IsLinux() => X11InputInjector.Open(display, area, log),
            InputBackend.SendInput when OperatingSystem.IsWindows() => SendInputInjector.Open(area, log),
            InputBackend.CoreGraphicsEvents when OperatingSystem.IsMacOS() => CoreGraphicsInjector.Open(area, log),
            _ => throw new PlatformNotSupportedException("Input injection is implemented for Linux (X11), Windows and macOS only (docs/host.md)."),
        };
    }
}
