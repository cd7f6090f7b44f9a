using System.Text.Json.Nodes;
using Lilium.Auth;
using Lilium.Client;
using Lilium.Client.Api;
using Lilium.Client.Chat;
using Lilium.Client.Media;
using Lilium.Client.Signaling;
using Lilium.Input;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;
using Microsoft.Playwright;
using MouseButton = Lilium.Input.MouseButton;

namespace Lilium.Web.Tests;

/// <summary>
/// Cross-client: a browser user and a C# SDK user (the same library the CLI and `lilium host` use) chat both ways;
/// the browser watches the SDK host's test pattern and its keyboard, mouse, wheel and gamepad reach the host as HID
/// codes; the host revokes the mouse at the relay and later mouse events are dropped there.
/// </summary>
[Collection(nameof(BrowserCollection))]
[Trait("Category", "Browser")]
public sealed class SdkInteropTests(WebStack stack, Browser browser)
{
    /// <summary>A controllable standard gamepad in place of navigator.getGamepads (headless Chromium has none).</summary>
    private const string FakeGamepad = """
        window.__pad = { index: 0, id: 'Test pad (STANDARD GAMEPAD)', mapping: 'standard', connected: true, timestamp: 0,
          axes: [0, 0, 0, 0], buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 })) };
        window.__padOn = false;
        navigator.getGamepads = () => [window.__padOn ? window.__pad : null, null, null, null];
        """;

    [Fact]
    public async Task Browser_and_sdk_users_chat_both_ways_and_the_browser_controls_an_sdk_host_until_mouse_is_revoked()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var ct = cts.Token;
        var erin = await WebUser.RegisterAsync(browser, stack, "erin");
        await erin.Page.Context.AddInitScriptAsync(FakeGamepad);

        using var me = LiliumIdentity.Create();
        using var frank = new LiliumApiClient(stack.AppUrl, me);
        await frank.RegisterAsync("frank", ct);
        await frank.LoginAsync(ct);
        await using var signaling = await SignalingClient.ConnectAsync(stack.WebSocketUrl, frank.GetAccessTokenAsync, cancellationToken: ct);
        var erinId = (await frank.SearchByNicknameAsync("erin", ct)).Single().Id;
        await frank.RequestFriendAsync(erinId, ct);
        await erin.Page.GetByTestId("accept-frank").ClickAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(erin.Page.GetByTestId("presence-frank")).ToHaveAttributeAsync("data-online", "true");

        // Chat both ways between the browser and the SDK.
        using var chat = new ChatClient(signaling, new ChatIdentity(frank.UserId, me.Key),
            async (id, c) => Convert.FromBase64String((await frank.GetUserAsync(id, c)).PublicKey)).Start();
        await erin.OpenChatAsync("frank");
        await erin.SendChatAsync("hi frank from the browser");
        var received = await chat.Messages.ReadAsync(ct);
        Assert.Equal(erinId, received.From);
        Assert.Equal("hi frank from the browser", received.Text);
        await chat.SendAsync(erinId, "hi erin from the SDK", ct);
        await Assertions.Expect(erin.Page.GetByTestId("msg-theirs").Last).ToContainTextAsync("hi erin from the SDK");

        // Frank hosts a test pattern with the SDK; Erin opens the session's link.
        var session = await frank.CreateSessionAsync(cancellationToken: ct);
        var hostGrant = await frank.IssueRelayGrantAsync(session.Id, ct);
        using var http = new HttpClient();
        await using var publisher = await MediaPublisher.ConnectAsync(http, stack.RelayUrl, session.Id, hostGrant.Token, cancellationToken: ct);
        await using var source = FfmpegVp8Source.TestPattern();
        var sending = Task.Run(async () =>
        {
            await foreach (var frame in source.ReadFramesAsync(ct))
            {
                publisher.SendVideoFrame(frame.Data, frame.RtpTimestamp);
            }
        }, ct);
        var inputs = new System.Collections.Concurrent.ConcurrentQueue<RemoteInput>();
        var reading = Task.Run(async () =>
        {
            await foreach (var input in publisher.ReadInputAsync(ct))
            {
                inputs.Enqueue(input);
            }
        }, ct);

        var incoming = signaling.WaitForAsync(m => m.Action == "join.incoming", TimeSpan.FromSeconds(30), ct);
        await erin.Page.GotoAsync($"/s/{session.Id}");
        var request = await incoming;
        Assert.Equal(erinId, request.Guid("from"));
        var granted = InputPermissions.Keyboard | InputPermissions.Mouse | InputPermissions.Controller;
        await signaling.RequestAsync(new ToServer.GrantUpdate(erinId, PermissionSet.From(granted), session.Id), cancellationToken: ct);
        await signaling.RequestAsync(new ToServer.JoinAccept(request.String("requestId")!), cancellationToken: ct);

        await Assertions.Expect(erin.Page.GetByTestId("viewer")).ToHaveAttributeAsync("data-phase", "watching");
        await erin.WaitForStateAsync("viewer.stats", s => s.GetProperty("framesDecoded").GetInt32() >= 30 ? 1 : (int?)null, TimeSpan.FromSeconds(30), "decode the SDK host's frames");
        await Assertions.Expect(erin.Page.GetByTestId("grant-controller")).ToHaveAttributeAsync("data-on", "true");

        // Keyboard, mouse (absolute, buttons), wheel and a gamepad, as a person would use them.
        var video = erin.Page.GetByTestId("remote-video");
        var box = (await video.BoundingBoxAsync())!;
        await erin.Page.Mouse.MoveAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await erin.Page.Mouse.DownAsync();
        await erin.Page.Mouse.UpAsync();
        await erin.Page.Keyboard.PressAsync("a");
        await erin.Page.Keyboard.PressAsync("Shift+Digit1");
        await erin.Page.Mouse.WheelAsync(0, 100);
        await erin.Page.EvaluateAsync("() => { window.__padOn = true; window.__pad.buttons[0] = { pressed: true, touched: true, value: 1 }; window.__pad.axes[0] = 1; }");

        await WaitAsync(() => inputs.Any(i => i.Event is ControllerStateEvent { Buttons: ControllerButtons.A }) && inputs.Any(i => i.Event is MouseWheelEvent), "all input classes at the host");
        var events = inputs.Select(i => i.Event).ToList();
        Assert.All(inputs, i => Assert.Equal(erinId, i.Viewer));
        Assert.Contains(events, e => e is MouseMoveEvent { Relative: false, X: > 30000 and < 35500, Y: > 30000 and < 35500 });
        Assert.Contains(events, e => e is MouseButtonEvent { Button: MouseButton.Left, Down: true });
        Assert.Contains(events, e => e is MouseButtonEvent { Button: MouseButton.Left, Down: false });
        Assert.Contains(events, e => e is KeyEvent { Down: true, Usage: 0x04 }); // KeyA
        Assert.Contains(events, e => e is KeyEvent { Down: true, Usage: 0xE1 }); // ShiftLeft
        Assert.Contains(events, e => e is KeyEvent { Down: true, Usage: 0x1E, Modifiers: KeyModifiers.LeftShift }); // Digit1 with shift
        Assert.Contains(events, e => e is MouseWheelEvent { DeltaY: -120 }); // one notch down
        Assert.Contains(events, e => e is ControllerStateEvent { Index: 0, Buttons: ControllerButtons.A, LeftX: 32767 });

        // The host revokes the mouse at the relay only (no signaling): the browser still sends, the relay drops.
        var applied = await publisher.SetViewerGrantAsync(erinId, InputPermissions.Keyboard | InputPermissions.Controller, ct);
        Assert.Equal(1, applied.ConnectedPeers);
        var deniedBefore = await DeniedMouseAsync(http);
        var countBefore = inputs.Count;
        var sentBefore = await erin.Page.EvaluateAsync<int>("() => window.lilium.state.viewer.input.mouse + window.lilium.state.viewer.input.wheel");
        for (var i = 0; i < 10; i++)
        {
            await erin.Page.Mouse.MoveAsync(box.X + (box.Width / 2) + (i * 10), box.Y + (box.Height / 2) + (i * 5));
        }

        await erin.Page.Mouse.WheelAsync(0, 100);
        await erin.Page.Keyboard.PressAsync("b");
        await WaitAsync(() => inputs.Skip(countBefore).Any(i => i.Event is KeyEvent { Usage: 0x05, Down: false }), "keyboard still passing after the mouse revoke");
        await erin.Page.WaitForTimeoutAsync(1100); // the stats (with the input counters) refresh every second
        var sentAfter = await erin.Page.EvaluateAsync<int>("() => window.lilium.state.viewer.input.mouse + window.lilium.state.viewer.input.wheel");
        Assert.True(sentAfter - sentBefore >= 10, $"the browser kept sending mouse events ({sentAfter - sentBefore})");
        Assert.DoesNotContain(inputs.Skip(countBefore), i => i.Event is MouseMoveEvent or MouseWheelEvent or MouseButtonEvent);
        Assert.True(await DeniedMouseAsync(http) >= deniedBefore + 10, "the relay counted the dropped mouse events");

        await cts.CancelAsync();
        await Task.WhenAll(sending, reading).ContinueWith(_ => { }, CancellationToken.None);
        await erin.Page.Context.CloseAsync();
    }

    private async Task<double> DeniedMouseAsync(HttpClient http)
    {
        var metrics = await http.GetStringAsync(new Uri(stack.RelayUrl, "/metrics"));
        return metrics.Split('\n')
            .Where(l => l.StartsWith("lilium_relay_input_events_denied_total", StringComparison.Ordinal) && l.Contains("no_mouse_grant", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException("Timed out waiting for " + what);
            }

            await Task.Delay(50);
        }
    }
}
