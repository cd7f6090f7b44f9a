using Lilium.Auth;
using Lilium.Client.Capture;
using Lilium.Client.Injection;
using Lilium.Client.Media;
using Lilium.Input;
using Lilium.Protocol;

namespace Lilium.Host.Tests;

/// <summary>
/// A viewer's input, through the relay, applied to a real X server by XTest: the pointer lands at the
/// mapped position, clicks and keys reach the server, a revoke stops motion, and a viewer that
/// leaves with a key held leaves it up.
/// </summary>
[Trait("Category", "Desktop")]
public sealed class InjectionTests(XvfbFixture x, RelayFixture relay) : IClassFixture<XvfbFixture>, IClassFixture<RelayFixture>
{
    [Fact]
    public void HID_usages_map_to_the_layout_keys_of_an_evdev_X_server()
    {
        Assert.Equal(0x61ul, x.Keysym(HidKeys.ToX11(0x04)));  // a
        Assert.Equal(0x7Aul, x.Keysym(HidKeys.ToX11(0x1D)));  // z
        Assert.Equal(0x31ul, x.Keysym(HidKeys.ToX11(0x1E)));  // 1
        Assert.Equal(0xFF0Dul, x.Keysym(HidKeys.ToX11(0x28))); // Return
        Assert.Equal(0xFFE1ul, x.Keysym(HidKeys.ToX11(0xE1))); // Shift_L
        Assert.Equal(0xFF51ul, x.Keysym(HidKeys.ToX11(0x50))); // Left
        Assert.Equal(0xFFBEul, x.Keysym(HidKeys.ToX11(0x3A))); // F1
        Assert.Equal(0, HidKeys.ToX11(0xA5));                  // reserved usage: no key
    }

    [Fact]
    public async Task Mouse_and_keys_reach_the_X_server_and_nothing_stays_held_after_a_revoke_or_a_leave()
    {
        var session = Guid.NewGuid();
        var viewerUser = Guid.NewGuid();
        await using var publisher = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host, Guid.NewGuid(), InputPermissions.None));
        var area = new ScreenRegion(0, 0, XvfbFixture.Width, XvfbFixture.Height);
        using var injector = InputInjection.Open(x.Display, area);
        await using var applier = new RemoteInputApplier(publisher, injector);
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        publisher.ViewerLeft += _ => left.TrySetResult();

        var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, viewerUser, InputPermissions.Keyboard | InputPermissions.Mouse));
        try
        {
            // Absolute (0..65535) maps across the shared area (v × (size − 1) / 65535): the middle of the screen, then
            // near a corner. Xvfb starts its pointer at 640,360, which no event here maps to, so each wait needs the event.
            viewer.SendInput(new MouseMoveEvent(false, 32768, 32768));
            await Until(() => x.Pointer() is { X: 639, Y: 359 }, "pointer at 639,359");
            viewer.SendInput(new MouseMoveEvent(false, 65535, 8192));
            await Until(() => x.Pointer() is { X: 1279, Y: 89 }, "pointer at 1279,89");
            Assert.Contains("x:1279 y:89", await x.RunAsync("xdotool", "getmouselocation"));

            viewer.SendInput(new MouseButtonEvent(MouseButton.Left, true));
            await Until(() => (x.Pointer().Mask & 0x100) != 0, "button 1 down");
            viewer.SendInput(new MouseButtonEvent(MouseButton.Left, false));
            await Until(() => (x.Pointer().Mask & 0x100) == 0, "button 1 up");

            // Typing: 'h' 'i' press and release reach the server in order.
            foreach (var usage in new ushort[] { 0x0B, 0x0C })
            {
                viewer.SendInput(new KeyEvent(true, usage, KeyModifiers.None));
                await Until(() => x.IsKeyDown(HidKeys.ToX11(usage)), $"usage {usage:X2} down");
                viewer.SendInput(new KeyEvent(false, usage, KeyModifiers.None));
                await Until(() => !x.IsKeyDown(HidKeys.ToX11(usage)), $"usage {usage:X2} up");
            }

            // A key held when the host revokes: the relay releases it, and the host's injector does too.
            viewer.SendInput(new KeyEvent(true, 0x04, KeyModifiers.None));
            await Until(() => x.IsKeyDown(38), "a down");
            await publisher.SetViewerGrantAsync(viewerUser, InputPermissions.Keyboard);
            applier.OnGrantChanged(viewerUser, InputPermissions.Keyboard);
            await Until(() => !x.IsKeyDown(38), "a released by the revoke");
            var before = x.Pointer();
            for (var i = 0; i < 20; i++)
            {
                viewer.SendInput(new MouseMoveEvent(false, 1000 + (i * 100), 1000));
            }

            await Task.Delay(500);
            Assert.Equal((before.X, before.Y), (x.Pointer().X, x.Pointer().Y));

            // Leaving with a key held leaves it up.
            viewer.SendInput(new KeyEvent(true, 0x05, KeyModifiers.None));
            await Until(() => x.IsKeyDown(56), "b down");
        }
        finally
        {
            await viewer.DisposeAsync();
        }

        await left.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Until(() => !x.IsKeyDown(56), "b released after the viewer left");
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("timed out waiting for " + what);
            }

            await Task.Delay(10);
        }
    }
}
