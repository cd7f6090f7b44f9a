using System.Globalization;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Client.Media;
using Lilium.Input;
using Lilium.Testing;
using Lilium.Protocol;

namespace Lilium.Relay.Tests;

/// <summary>
/// Data channels against a WebRTC stack we did not write: aiortc (Debian python3-aiortc) opens
/// SCTP/DCEP channels to the relay as host (ordered input + control) and as viewer (unordered,
/// maxRetransmits 0), and messages flow both ways through the relay's grant enforcement.
/// </summary>
[Trait("Category", "Interop")]
public sealed class AiortcInputInteropTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task Aiortc_host_gets_forwarded_input_on_an_ordered_channel_and_revokes_on_its_control_channel()
    {
        var session = Guid.NewGuid();
        var viewerUser = Guid.NewGuid();
        var host = ProcessRunner.RunAsync(Python,
            [Script(), relay.Whip(session).ToString(), relay.Grant(session, RelayRole.Host), "--role", "host", "--expect", "50", "--seconds", "25"],
            TimeSpan.FromSeconds(60));

        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session,
            relay.Grant(session, RelayRole.Viewer, viewerUser, InputPermissions.Mouse), TimeSpan.FromSeconds(20));
        await WaitForHostInputChannelAsync(session);
        for (var i = 0; i < 60 && !host.IsCompleted; i++)
        {
            viewer.SendInput(new MouseMoveEvent(false, i, i));
            await Task.Delay(10);
        }

        var result = await host;
        output.WriteLine(result.StdOut + result.StdErr);
        using var json = JsonDocument.Parse(LastLine(result.StdOut));
        var root = json.RootElement;
        Assert.True(root.GetProperty("forwarded").GetInt32() >= 50, result.StdOut);
        Assert.Equal(viewerUser.ToString(), root.GetProperty("viewers")[0].GetString());
        var control = root.GetProperty("control").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Contains("viewer.joined", control);
        Assert.Contains("grant.applied", control);
        var applied = root.GetProperty("grant_applied");
        Assert.Equal(viewerUser.ToString(), applied.GetProperty("viewer").GetString());
        Assert.False(applied.GetProperty("permissions").GetProperty("mouse").GetBoolean());
        Assert.Equal(1, applied.GetProperty("peers").GetInt32());
        Assert.Equal(InputPermissions.None, relay.Registry.FindSession(session)?.PermissionsFor(viewerUser, InputPermissions.Mouse) ?? InputPermissions.None);
    }

    [Fact]
    public async Task Aiortc_viewer_sends_input_on_an_unordered_channel_that_reaches_an_sdk_host()
    {
        var session = Guid.NewGuid();
        var viewerUser = Guid.NewGuid();
        await using var host = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host));
        var received = new List<RemoteInput>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var pump = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in host.ReadInputAsync(stop.Token))
                {
                    lock (received)
                    {
                        received.Add(e);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        var viewer = await ProcessRunner.RunAsync(Python,
            [Script(), relay.Whep(session).ToString(), relay.Grant(session, RelayRole.Viewer, viewerUser, InputPermissions.Mouse),
             "--role", "viewer", "--count", "100"],
            TimeSpan.FromSeconds(40));
        output.WriteLine(viewer.StdOut + viewer.StdErr);
        using var json = JsonDocument.Parse(LastLine(viewer.StdOut));
        Assert.Equal(100, json.RootElement.GetProperty("sent").GetInt32());
        await stop.CancelAsync();
        await pump;

        List<RemoteInput> events;
        lock (received)
        {
            events = received.ToList();
        }

        // Unreliable and unordered, but loopback: all arrive; each is the viewer's own event.
        Assert.True(events.Count >= 95, $"only {events.Count} of 100 events reached the host");
        Assert.All(events, e => Assert.Equal(viewerUser, e.Viewer));
        Assert.Contains(events, e => e.Event == new MouseMoveEvent(false, 99, 65535 - 99));
    }

    private async Task WaitForHostInputChannelAsync(Guid session)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (relay.Registry.FindSession(session)?.Publisher?.Channels is not { Input: not null, Control: not null })
        {
            Assert.True(DateTime.UtcNow < deadline, "the aiortc host never opened its input and control channels");
            await Task.Delay(50);
        }
    }

    private static string LastLine(string stdout) =>
        stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "{}";

    private static string Script() => Path.Combine(RepoPaths.Root, "tests", "interop", "aiortc_input_peer.py");
}
