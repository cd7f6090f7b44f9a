using System.Diagnostics;
using Lilium.Auth;
using Lilium.Client.Media;
using Lilium.Input;
using Lilium.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Relay.Tests;

/// <summary>
/// Remote input end to end through the relay, with the SDK's host and viewer over real UDP,
/// DTLS and SCTP: what passes, what is refused, and how fast a revoke bites.
/// </summary>
[Trait("Category", "Integration")]
public sealed class InputRelayTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Mouse_and_keyboard_reach_the_host_only_while_granted_and_a_revoke_releases_held_keys()
    {
        var session = Guid.NewGuid();
        var viewerUser = Guid.NewGuid();
        await using var host = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host));
        var joined = new TaskCompletionSource<ViewerPresence>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.ViewerJoined += p => joined.TrySetResult(p);
        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, viewerUser, InputPermissions.Keyboard | InputPermissions.Mouse));

        var presence = await joined.Task.WaitAsync(Wait);
        Assert.Equal(viewerUser, presence.Viewer);
        Assert.Equal(InputPermissions.Keyboard | InputPermissions.Mouse, presence.Permissions);

        // The answers offered ICE-TCP as well; the SDK takes the UDP candidate, so both peers' paths are UDP.
        Assert.NotNull(relay.App.Services.GetRequiredService<Lilium.Relay.Media.MediaSocket>().TcpEndPoint);
        var relaySession = relay.Registry.FindSession(session)!;
        Assert.Null(relaySession.Publisher!.Path!.Tcp);
        Assert.All(relaySession.Subscribers, s => Assert.Null(s.Path!.Tcp));

        await using var inbox = new Inbox(host);
        Assert.True(viewer.SendInput(new MouseMoveEvent(false, 1000, 2000)));
        Assert.True(viewer.SendInput(new KeyEvent(true, 0x04, KeyModifiers.None)));   // 'a' down
        Assert.True(viewer.SendInput(new KeyEvent(false, 0x04, KeyModifiers.None)));  // 'a' up
        Assert.True(viewer.SendInput(new KeyEvent(true, 0x05, KeyModifiers.None)));   // 'b' down, held

        var received = await inbox.TakeAsync(4);
        Assert.All(received, r => Assert.Equal(viewerUser, r.Viewer));
        Assert.Equal(new MouseMoveEvent(false, 1000, 2000), received[0].Event);
        Assert.Equal(new KeyEvent(true, 0x04, KeyModifiers.None), received[1].Event);
        Assert.Equal(new KeyEvent(false, 0x04, KeyModifiers.None), received[2].Event);

        var applied = await host.SetViewerGrantAsync(viewerUser, InputPermissions.None);
        Assert.Equal(1, applied.ConnectedPeers);
        Assert.Equal(1, applied.Released);
        Assert.Equal(new KeyEvent(false, 0x05, KeyModifiers.None), (await inbox.TakeAsync(1))[0].Event); // released by the relay

        var forwardedBefore = relay.Metrics.InputForwardedCount;
        viewer.SendInput(new MouseMoveEvent(false, 5, 5));
        viewer.SendInput(new KeyEvent(true, 0x06, KeyModifiers.None));
        await WaitUntilAsync(() => relay.Metrics.InputDeniedCount(InputVerdict.NoKeyboardGrant) >= 1 && relay.Metrics.InputDeniedCount(InputVerdict.NoMouseGrant) >= 1);
        Assert.Equal(forwardedBefore, relay.Metrics.InputForwardedCount);
        Assert.Empty(inbox.Drain());

        // Granting again takes effect without reconnecting.
        await host.SetViewerGrantAsync(viewerUser, InputPermissions.Mouse);
        viewer.SendInput(new MouseButtonEvent(MouseButton.Left, true));
        Assert.Equal(new MouseButtonEvent(MouseButton.Left, true), (await inbox.TakeAsync(1))[0].Event);
    }

    [Fact]
    public async Task A_revoke_stops_a_stream_of_events_within_100_ms()
    {
        var session = Guid.NewGuid();
        var viewerUser = Guid.NewGuid();
        await using var host = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host));
        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, viewerUser, InputPermissions.Mouse));
        await using var inbox = new Inbox(host);

        using var stop = new CancellationTokenSource();
        var sender = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                viewer.SendInput(new MouseMoveEvent(false, i % 65536, 0));
                await Task.Delay(2);
            }
        });

        await inbox.TakeAsync(20); // events flow
        var revokedAt = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        await host.SetViewerGrantAsync(viewerUser, InputPermissions.None);
        var confirmMs = clock.Elapsed.TotalMilliseconds;
        await Task.Delay(300); // the viewer keeps sending all along
        await stop.CancelAsync();
        await sender;

        var late = inbox.Drain().Where(r => r.ReceivedAt > revokedAt).ToList();
        var lastMs = late.Count == 0 ? 0 : (late.Max(r => r.ReceivedAt) - revokedAt).TotalMilliseconds;
        Assert.True(lastMs <= 100, $"an event arrived {lastMs:F1} ms after the revoke (confirmed after {confirmMs:F1} ms)");
        Assert.True(relay.Metrics.InputDeniedCount(InputVerdict.NoMouseGrant) > 0);
    }

    [Fact]
    public async Task A_sustained_stream_arrives_complete_with_bundled_sctp_packets_that_fit_a_dtls_record()
    {
        // Regression: SCTP packets bundled up to 1200 bytes exceeded the DTLS record limit and were
        // dropped before sending, so bursts only got through by timer retransmission, late or never.
        var session = Guid.NewGuid();
        var viewerUser = Guid.NewGuid();
        await using var host = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host));
        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, viewerUser, InputPermissions.Mouse));
        await using var inbox = new Inbox(host);

        for (var i = 0; i < 3000; i++)
        {
            viewer.SendInput(new MouseMoveEvent(false, i, 0));
            if (i % 50 == 0)
            {
                await Task.Delay(5);
            }
        }

        var received = await inbox.TakeAsync(3000);
        Assert.Equal(Enumerable.Range(0, 3000), received.Select(r => ((MouseMoveEvent)r.Event).X)); // the host's channel is ordered
    }

    [Fact]
    public async Task Forged_events_for_classes_the_viewer_lacks_never_reach_the_host()
    {
        var session = Guid.NewGuid();
        var viewerUser = Guid.NewGuid();
        await using var host = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host));
        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, viewerUser, InputPermissions.Mouse));
        await using var inbox = new Inbox(host);
        var denied = Enum.GetValues<InputVerdict>().Sum(v => v == InputVerdict.Allowed ? 0 : relay.Metrics.InputDeniedCount(v));

        viewer.SendInput(new KeyEvent(true, 0x04, KeyModifiers.None));                     // no keyboard grant
        viewer.SendInput(new KeyEvent(false, 0x04, KeyModifiers.None));                    // stray release
        viewer.SendInput(new ControllerStateEvent(0, ControllerButtons.A, 0, 0, 0, 0, 0, 0)); // no controller grant
        viewer.SendInput(new MouseMoveEvent(true, 10, 10));                                // relative needs immersion
        viewer.SendInput(new MouseButtonEvent(MouseButton.Right, false));                  // release never pressed
        viewer.SendInput(new MouseMoveEvent(false, 42, 42));                               // allowed: the marker

        var through = await inbox.TakeAsync(1);
        Assert.Equal(new MouseMoveEvent(false, 42, 42), through[0].Event);
        await WaitUntilAsync(() => Enum.GetValues<InputVerdict>().Sum(v => v == InputVerdict.Allowed ? 0 : relay.Metrics.InputDeniedCount(v)) >= denied + 5);
        await Task.Delay(100);
        Assert.Empty(inbox.Drain());

        var metrics = await relay.Http.GetStringAsync(new Uri(relay.BaseUri, "/metrics"));
        Assert.Contains("lilium_relay_input_events_denied_total{reason=\"no_controller_grant\"}", metrics);
        Assert.Contains("lilium_relay_input_events_forwarded_total", metrics);
    }

    [Fact]
    public async Task Hostile_sctp_and_dcep_after_dtls_never_crash_the_relay_or_disturb_another_viewer()
    {
        var session = Guid.NewGuid();
        var honestUser = Guid.NewGuid();
        await using var host = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host));
        await using var attacker = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, Guid.NewGuid(), InputPermissions.Mouse));
        await using var honest = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, honestUser, InputPermissions.Mouse));
        await using var inbox = new Inbox(host);

        var attackerUser = relay.Registry.FindSession(session)!.Subscribers.Single(p => p.User != honestUser).Channels!;
        var dtls = attacker.Connection.Dtls;
        var random = new Random(7);
        foreach (var packet in HostileSctp.Packets(random, attackerUser.Transport.LocalVerificationTag))
        {
            dtls.SendApplicationData(packet);
        }

        honest.SendInput(new MouseMoveEvent(false, 7, 7));
        var through = await inbox.TakeAsync(1);
        Assert.Equal(honestUser, through[0].Viewer);
        using var health = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health"));
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }

    /// <summary>Collects what the host receives, in order.</summary>
    private sealed class Inbox : IAsyncDisposable
    {
        private readonly System.Threading.Channels.Channel<RemoteInput> _items = System.Threading.Channels.Channel.CreateUnbounded<RemoteInput>();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _pump;

        public Inbox(MediaPublisher host) => _pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var item in host.ReadInputAsync(_stop.Token))
                {
                    _items.Writer.TryWrite(item);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        public async Task<List<RemoteInput>> TakeAsync(int count)
        {
            using var timeout = new CancellationTokenSource(Wait);
            var list = new List<RemoteInput>();
            while (list.Count < count)
            {
                list.Add(await _items.Reader.ReadAsync(timeout.Token));
            }

            return list;
        }

        public List<RemoteInput> Drain()
        {
            var list = new List<RemoteInput>();
            while (_items.Reader.TryRead(out var item))
            {
                list.Add(item);
            }

            return list;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _pump;
            _stop.Dispose();
        }
    }
}
