using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lilium.Client.Api;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Lilium.Client.Signaling;
using Lilium.Testing;
using Xunit.Abstractions;

namespace Lilium.Client.Tests;

[CollectionDefinition(nameof(FleetCollection))]
public sealed class FleetCollection : ICollectionFixture<PostgresFixture>, ICollectionFixture<AwsEndpointFixture>;

/// <summary>
/// Issue 24's "Done when" on the local stack with the supervisor (<see cref="FleetStack"/>): a session created with 0
/// relays gets one and its viewer decodes frames; <c>kill -9</c> of a relay mid-session and its viewer decodes frames
/// again from another relay with no user action; SIGTERM moves the session before the relay exits. Host and viewer are
/// the SDK's self-healing <see cref="RelayPublisher"/> and <see cref="RelayViewer"/>; frames are decoded with libvpx.
/// </summary>
[Collection(nameof(FleetCollection))]
[Trait("Category", "Interop")]
public sealed class FleetFromZeroTests(FleetStack stack, ITestOutputHelper output) : IClassFixture<FleetStack>
{
    [Fact]
    public async Task A_session_created_with_no_relay_gets_one_and_its_viewer_decodes_frames()
    {
        Assert.Equal(0, await stack.DesiredAsync());
        Assert.Empty(await stack.Fleet.Registry.ListLiveAsync());

        // The wire while the relay starts: 201 with relay.state "starting"; grants are 503 relay-starting with
        // Retry-After and etaSeconds.
        using (var identity = LiliumIdentity.Create())
        using (var api = new LiliumApiClient(stack.ApiUrl, identity))
        using (var http = new HttpClient())
        {
            await api.RegisterAsync("fl-wire" + Random.Shared.Next(1000, 9999));
            await api.LoginAsync();
            var token = await api.GetAccessTokenAsync();
            using var create = new HttpRequestMessage(HttpMethod.Post, new Uri(stack.ApiUrl, "v1/sessions")) { Content = JsonContent.Create(new { }) };
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var created = await http.SendAsync(create);
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            using var session = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            var relay = session.RootElement.GetProperty("relay");
            Assert.Equal("starting", relay.GetProperty("state").GetString());
            Assert.Equal(stack.RelayUrl.ToString(), relay.GetProperty("url").GetString());
            Assert.Equal(1, await stack.DesiredAsync());

            using var grant = new HttpRequestMessage(HttpMethod.Post, new Uri(stack.ApiUrl, $"v1/sessions/{session.RootElement.GetProperty("id").GetString()}/relay-grants")) { Content = JsonContent.Create(new { }) };
            grant.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var starting = await http.SendAsync(grant);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, starting.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), starting.Headers.RetryAfter?.Delta);
            using var problem = JsonDocument.Parse(await starting.Content.ReadAsStringAsync());
            Assert.Equal("relay-starting", problem.RootElement.GetProperty("code").GetString());
            Assert.Equal(5, problem.RootElement.GetProperty("etaSeconds").GetInt32());
        }

        await using var share = await FleetShare.StartAsync(stack, output.WriteLine);
        Assert.True(share.Created.Relay is { State: "starting", EtaSeconds: > 0 } or { State: "ready" }); // the relay may be up already
        Assert.True(await stack.DesiredAsync() >= 1);

        var picture = await share.DecodeAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"first frame from zero relays after {share.SinceCreated.Elapsed.TotalSeconds:F1} s: {picture.Width}x{picture.Height}");
        Assert.Equal((320, 240), (picture.Width, picture.Height));
        Assert.NotNull(await stack.OwnerAsync(share.Session));
        Assert.Equal(await stack.OwnerAsync(share.Session), share.Viewer!.RelayId);
    }

}

/// <summary>Failover with two relays running: kill -9 of the session's relay, and SIGTERM (drain).</summary>
[Collection(nameof(FleetCollection))]
[Trait("Category", "Interop")]
public sealed class FleetFailoverTests(FleetStack stack, ITestOutputHelper output) : IClassFixture<FleetStack>
{
    [Fact]
    public async Task Kill_9_of_a_relay_mid_session_and_the_viewer_decodes_frames_again_from_another_relay()
    {
        await stack.SetDesiredAsync(Math.Max(2, await stack.DesiredAsync()));
        await stack.WaitLiveAsync(2, TimeSpan.FromSeconds(60));
        await using var share = await FleetShare.StartAsync(stack, output.WriteLine);
        await share.DecodeAsync(TimeSpan.FromSeconds(30));
        var owner = (await stack.OwnerAsync(share.Session))!;

        var killed = Stopwatch.StartNew();
        await stack.SignalAsync(owner, 9);
        var picture = await share.DecodeAfterMoveAsync(owner, TimeSpan.FromSeconds(30));
        output.WriteLine($"kill -9 {owner}: the viewer decoded a {picture.Width}x{picture.Height} frame from {share.Viewer!.RelayId} after {killed.Elapsed.TotalSeconds:F1} s");
        Assert.NotEqual(owner, await stack.OwnerAsync(share.Session));
        Assert.True(share.Viewer.Resubscribes >= 1);
        Assert.True(share.Publisher.Republishes >= 1);
    }

    [Fact]
    public async Task Sigterm_moves_the_session_before_the_relay_exits()
    {
        await stack.SetDesiredAsync(Math.Max(2, await stack.DesiredAsync()));
        await stack.WaitLiveAsync(2, TimeSpan.FromSeconds(60));
        await using var share = await FleetShare.StartAsync(stack, output.WriteLine);
        await share.DecodeAsync(TimeSpan.FromSeconds(30));
        var owner = (await stack.OwnerAsync(share.Session))!;

        await stack.SignalAsync(owner, 15);
        var movedWhileRunning = false;
        await FleetStack.EventuallyAsync(async () =>
        {
            if (await stack.OwnerAsync(share.Session) == owner)
            {
                return false;
            }

            // Moved: the draining relay is still there (its item says draining; its process has not exited).
            var item = await stack.Fleet.Registry.GetAsync(owner);
            movedWhileRunning = item is { Draining: true };
            return true;
        }, TimeSpan.FromSeconds(15), "the session moves off the draining relay");
        Assert.True(movedWhileRunning, "the session moved before the draining relay exited");

        var picture = await share.DecodeAfterMoveAsync(owner, TimeSpan.FromSeconds(30));
        Assert.True(picture.Width > 0);
    }
}

/// <summary>The fleet with a 5 s idle period.</summary>
public sealed class IdleFleetStack(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    public FleetStack Stack { get; } = new(postgres, aws) { IdleTimeout = TimeSpan.FromSeconds(5) };

    public Task InitializeAsync() => Stack.InitializeAsync();

    public Task DisposeAsync() => Stack.DisposeAsync();
}

/// <summary>Idle: the desired count goes back to 0 once no session is active, and never while a relay holds one.</summary>
[Collection(nameof(FleetCollection))]
[Trait("Category", "Interop")]
public sealed class FleetIdleTests(IdleFleetStack idle, ITestOutputHelper output) : IClassFixture<IdleFleetStack>
{
    [Fact]
    public async Task Idle_returns_the_desired_count_to_0_and_a_busy_relay_is_never_stopped()
    {
        var stack = idle.Stack;
        await stack.SetDesiredAsync(2);
        await stack.WaitLiveAsync(2, TimeSpan.FromSeconds(60));
        var share = await FleetShare.StartAsync(stack, output.WriteLine);
        try
        {
            await share.DecodeAsync(TimeSpan.FromSeconds(30));
            var owner = (await stack.OwnerAsync(share.Session))!;
            var pid = (await stack.StatusAsync())!.Relays.Single(r => r.RelayId == owner).Pid;

            // Three idle periods with the session active: nothing is scaled in, the busy relay keeps running.
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (DateTime.UtcNow < until)
            {
                Assert.Equal(2, await stack.DesiredAsync());
                Assert.Contains((await stack.StatusAsync())!.Relays, r => r.RelayId == owner && r.Pid == pid && !r.Stopping);
                await Task.Delay(1000);
            }

            await share.DecodeAsync(TimeSpan.FromSeconds(10)); // still watching
            Assert.Equal(0, share.Viewer!.Resubscribes);
        }
        finally
        {
            await share.EndAsync();
            await share.DisposeAsync();
        }

        // No session any more: back to 0 after the idle period, and the supervisor stops the relays.
        await FleetStack.EventuallyAsync(async () => await stack.DesiredAsync() == 0, TimeSpan.FromSeconds(30), "the desired count is 0");
        await FleetStack.EventuallyAsync(async () => (await stack.StatusAsync())?.Relays.Count(r => r.Pid > 0) == 0, TimeSpan.FromSeconds(45), "the relays stopped");
    }
}
