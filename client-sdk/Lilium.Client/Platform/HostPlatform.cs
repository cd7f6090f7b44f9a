namespace Lilium.Client.Platform;

/// <summary>The operating systems the host knows back ends for.</summary>
public enum HostOs
{
    /// <summary>None of the below: nothing can be captured or injected.</summary>
    Other,

    /// <summary>Linux (X11; Wayland through Xwayland only).</summary>
    Linux,

    /// <summary>Windows 10/11.</summary>
    Windows,

    /// <summary>macOS.</summary>
    MacOS,
}

/// <summary>Screen capture back ends.</summary>
public enum ScreenBackend
{
    /// <summary>No capture on this OS.</summary>
    None,

    /// <summary>X11: XShm, XFixes cursor, RandR monitors. Tested.</summary>
    X11,

    /// <summary>Windows: DXGI Desktop Duplication into a D3D11 staging texture. Built, untested.</summary>
    DesktopDuplication,

    /// <summary>macOS before 12.3: Core Graphics <c>CGDisplayCreateImage</c>. Built, untested.</summary>
    CoreGraphics,

    /// <summary>macOS 12.3 and later: ScreenCaptureKit (<c>SCStream</c>). Built, untested.</summary>
    ScreenCaptureKit,
}

/// <summary>System-audio capture back ends.</summary>
public enum AudioBackend
{
    /// <summary>No system audio on this OS.</summary>
    None,

    /// <summary>A PulseAudio / PipeWire-pulse monitor source through <c>parec</c>. Tested.</summary>
    PulseAudio,

    /// <summary>WASAPI loopback of the default render device. Built, untested.</summary>
    WasapiLoopback,
}

/// <summary>Input injection back ends.</summary>
public enum InputBackend
{
    /// <summary>No injection on this OS.</summary>
    None,

    /// <summary>XTest (keyboard, mouse) plus uinput gamepads. Tested (not uinput).</summary>
    XTest,

    /// <summary>Windows <c>SendInput</c> (keyboard, mouse; no gamepads). Built, untested.</summary>
    SendInput,

    /// <summary>macOS <c>CGEventPost</c> (keyboard, mouse; no gamepads). Built, untested.</summary>
    CoreGraphicsEvents,
}

/// <summary>Which back end the host uses on which OS: one table, so the choice is testable on any OS.</summary>
public static class HostPlatform
{
    /// <summary>The OS this process runs on.</summary>
    public static HostOs Current =>
        OperatingSystem.IsLinux() ? HostOs.Linux
        : OperatingSystem.IsWindows() ? HostOs.Windows
        : OperatingSystem.IsMacOS() ? HostOs.MacOS
        : HostOs.Other;

    /// <summary>The first macOS with ScreenCaptureKit's <c>SCStream</c> and <c>SCShareableContent</c>.</summary>
    public static Version ScreenCaptureKitSince { get; } = new(12, 3);

    /// <summary>
    /// The screen capture back end for <paramref name="os"/> at <paramref name="version"/> (on macOS, ScreenCaptureKit from
    /// 12.3, Core Graphics before; the other systems do not depend on it).
    /// </summary>
    public static ScreenBackend Screen(HostOs os, Version version) => os switch
    {
        HostOs.Linux => ScreenBackend.X11,
        HostOs.Windows => ScreenBackend.DesktopDuplication,
        HostOs.MacOS when version >= ScreenCaptureKitSince => ScreenBackend.ScreenCaptureKit,
        HostOs.MacOS => ScreenBackend.CoreGraphics,
        _ => ScreenBackend.None,
    };

    /// <summary>The system-audio back end for <paramref name="os"/> (none on macOS yet: ScreenCaptureKit audio is not done).</summary>
    public static AudioBackend Audio(HostOs os) => os switch
    {
        HostOs.Linux => AudioBackend.PulseAudio,
        HostOs.Windows => AudioBackend.WasapiLoopback,
        _ => AudioBackend.None,
    };

    /// <summary>The input injection back end for <paramref name="os"/>.</summary>
    public static InputBackend Input(HostOs os) => os switch
    {
        HostOs.Linux => InputBackend.XTest,
        HostOs.Windows => InputBackend.SendInput,
        HostOs.MacOS => InputBackend.CoreGraphicsEvents,
        _ => InputBackend.None,
    };
}
