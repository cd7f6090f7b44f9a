using System.Diagnostics;
using System.Runtime.InteropServices;
using Lilium.Testing;

namespace Lilium.Host.Tests;

/// <summary>
/// An Xvfb server on a free display number (1280×720×24, no TCP), started for a test class and
/// killed after it, plus a drawing connection for painting known colour blocks on the root window.
/// </summary>
public sealed partial class XvfbFixture : IAsyncLifetime
{
    public const int Width = 1280;
    public const int Height = 720;
    private XvfbServer? _xvfb;
    private XDrawing? _drawing;

    public string Display { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _xvfb = await XvfbServer.StartAsync(Width, Height);
        Display = _xvfb.Display;
        _drawing = await XDrawing.OpenAsync(Display);
    }

    private nint Connection => _drawing!.Handle;

    /// <summary>Fills a rectangle of the root window with an RGB colour (0xRRGGBB) and waits until the server did it.</summary>
    public void Fill(int x, int y, int width, int height, uint rgb) => _drawing!.Fill(x, y, width, height, rgb);

    /// <summary>True while the server has <paramref name="keycode"/> down (XQueryKeymap).</summary>
    public unsafe bool IsKeyDown(int keycode)
    {
        var keys = stackalloc byte[32];
        XQueryKeymap(Connection, keys);
        return (keys[keycode / 8] & (1 << (keycode % 8))) != 0;
    }

    /// <summary>The pointer position and button mask (Button1Mask = 0x100 …) on the root window.</summary>
    public (int X, int Y, uint Mask) Pointer()
    {
        var root = XDefaultRootWindow(Connection);
        XQueryPointer(Connection, root, out _, out _, out var x, out var y, out _, out _, out var mask);
        return (x, y, mask);
    }

    /// <summary>The keysym the layout gives a keycode (no modifiers).</summary>
    public ulong Keysym(int keycode) => XkbKeycodeToKeysym(Connection, (byte)keycode, 0, 0);

    /// <summary>Runs a program against this display and returns its standard output.</summary>
    public async Task<string> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DISPLAY"] = Display;
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return output;
    }

    public Task DisposeAsync()
    {
        _drawing?.Dispose();
        _xvfb?.Dispose();
        return Task.CompletedTask;
    }



    [LibraryImport("libX11.so.6")]
    private static partial nint XDefaultRootWindow(nint display);






    [LibraryImport("libX11.so.6")]
    private static unsafe partial int XQueryKeymap(nint display, byte* keys);

    [LibraryImport("libX11.so.6")]
    private static partial int XQueryPointer(nint display, nint window, out nint root, out nint child, out int rootX, out int rootY, out int winX, out int winY, out uint mask);

    [LibraryImport("libX11.so.6")]
    private static partial ulong XkbKeycodeToKeysym(nint display, byte keycode, int group, int level);
}
