using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lilium.Auth;
using Lilium.Testing;

namespace Lilium.Relay.Tests;

/// <summary>
/// The local supervisor and load balancer (issue 24 item 5): relays follow the ECS desired count on the :4566
/// endpoint, a killed relay is replaced and its registry item deleted at once, a relay holding sessions is never
/// stopped, and requests entering through the wrong relay reach the owner.
/// </summary>
[Trait("Category", "Integration")]
public sealed class SupervisorTests(AwsEndpointFixture aws) : IClassFixture<AwsEndpointFixture>
{
    [Fact]
    public async Task Relays_follow_the_desired_count_up_and_down_and_a_killed_one_is_replaced()
    {
        await using var fleet = await SupervisedFleet.StartAsync(aws);
        // Desired 0: no relay, and the load balancer says so the way clients understand.
        await Task.Delay(1200);
        Assert.Empty(fleet.Supervisor.Relays);
        using (var none = await fleet.Http.GetAsync(new Uri(fleet.BaseUri, "/health")))
        {
            await FleetRelayTests.AssertUnavailableAsync(none);
        }

        await fleet.SetDesiredAsync(2);
        var two = await fleet.WaitForReadyAsync(2);
        await FleetRelayTests.WaitForAsync(async () => (await fleet.Registry.ListLiveAsync()).Count == 2, "two live registry items");
        var status = await fleet.StatusAsync();
        Assert.Equal(2, status.GetProperty("desired").GetInt32());
        Assert.Equal(2, status.GetProperty("relays").GetArrayLength());

        // kill -9: the item goes at once (well before its heartbeat would go stale), a new relay with a new id replaces it.
        var victim = two[0];
        victim.Process.Kill();
        await FleetRelayTests.WaitForAsync(async () => await fleet.Registry.GetAsync(victim.RelayId) is null, "the dead relay's item deleted", TimeSpan.FromSeconds(2));
        var replaced = await fleet.WaitForReadyAsync(2);
        Assert.DoesNotContain(victim.RelayId, replaced.Select(r => r.RelayId));
        Assert.Contains(two[1].RelayId, replaced.Select(r => r.RelayId));

        await fleet.SetDesiredAsync(1);
        var one = await fleet.WaitForReadyAsync(1);
        await FleetRelayTests.WaitForAsync(async () => (await fleet.Registry.ListAsync()).Select(r => r.RelayId).SequenceEqual([one[0].RelayId]), "only the remaining relay registered");

        await fleet.SetDesiredAsync(0);
        await FleetRelayTests.WaitForAsync(() => Task.FromResult(fleet.Supervisor.Relays.Count == 0), "all relays stopped", TimeSpan.FromSeconds(20));
        Assert.Empty(await fleet.Registry.ListAsync());
    }

    [Fact]
    public async Task A_relay_holding_a_session_is_never_stopped_when_the_count_drops()
    {
        await using var fleet = await SupervisedFleet.StartAsync(aws);
        await fleet.SetDesiredAsync(2);
        var relays = await fleet.WaitForReadyAsync(2);
        var busy = relays[1];
        var session = Guid.NewGuid();
        var grant = fleet.Grant(session, RelayRole.Host, busy.RelayId);
        // A publisher that never connects stays for the relay's connect timeout (20 s): longer than this test needs.
        using var created = await SendAsync(fleet, HttpMethod.Post, $"/whip/{session}", grant, TestOffers.Publisher(), "application/sdp");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await FleetRelayTests.WaitForAsync(() => Task.FromResult(busy.Sessions == 1), "the supervisor sees the session");

        await fleet.SetDesiredAsync(0);
        await FleetRelayTests.WaitForAsync(() => Task.FromResult(fleet.Supervisor.Relays.Count == 1), "the idle relay stopped", TimeSpan.FromSeconds(10));
        Assert.Equal(busy.RelayId, fleet.Supervisor.Relays[0].RelayId);
        for (var i = 0; i < 8; i++)
        {
            await Task.Delay(250);
            Assert.Null(busy.StopRequestedAt);
            Assert.False(busy.HasExited);
        }

        // The session ends (DELETE through the load balancer): now it goes.
        using var deleted = await SendAsync(fleet, HttpMethod.Delete, created.Headers.Location!.OriginalString, grant);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await FleetRelayTests.WaitForAsync(() => Task.FromResult(fleet.Supervisor.Relays.Count == 0), "the relay stopped once idle", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Two_relays_behind_the_load_balancer_serve_a_session_whichever_relay_a_request_enters()
    {
        await using var fleet = await SupervisedFleet.StartAsync(aws);
        await fleet.SetDesiredAsync(2);
        var relays = await fleet.WaitForReadyAsync(2);
        var owner = relays[0];
        var session = Guid.NewGuid();

        // A real publisher (aiortc) and a real viewer that decodes frames, both through the load balancer.
        var endpoints = new FleetEndpoints(fleet, owner.RelayId);
        await using (AiortcProcesses.Publish(endpoints, session))
        {
            await FleetRelayTests.WaitForAsync(() => Task.FromResult(owner.Sessions == 1), "the publisher on the owner", TimeSpan.FromSeconds(20));
            var viewer = await AiortcProcesses.ViewAsync(endpoints, session, seconds: 12, minVideo: 10);
            Assert.True(viewer.VideoFrames >= 10, viewer.ToString());
            Assert.Equal(0, relays[1].Sessions);

            // WHEP, PATCH and DELETE enter through each relay in turn (round robin) and all reach the owner.
            var entered = new HashSet<string>();
            for (var i = 0; i < 4; i++)
            {
                var grant = fleet.Grant(session, RelayRole.Viewer, owner.RelayId);
                using var whep = await SendAsync(fleet, HttpMethod.Post, $"/whep/{session}", grant, TestOffers.Viewer(), "application/sdp");
                Assert.Equal(HttpStatusCode.Created, whep.StatusCode);
                entered.Add(whep.Headers.GetValues("X-Lilium-Relay").Single());
                var location = whep.Headers.Location!.OriginalString;
                Assert.StartsWith($"/whep/{session}/", location, StringComparison.Ordinal);

                using var patch = new HttpRequestMessage(HttpMethod.Patch, new Uri(fleet.BaseUri, location))
                {
                    Content = new StringContent("a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n", Encoding.UTF8, "application/trickle-ice-sdpfrag"),
                };
                patch.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
                patch.Headers.TryAddWithoutValidation("If-Match", whep.Headers.ETag!.Tag);
                using (var patched = await fleet.Http.SendAsync(patch))
                {
                    Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
                    entered.Add(patched.Headers.GetValues("X-Lilium-Relay").Single());
                }

                using var deleted = await SendAsync(fleet, HttpMethod.Delete, location, grant);
                Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
                entered.Add(deleted.Headers.GetValues("X-Lilium-Relay").Single());
            }

            Assert.Equal(relays.Select(r => r.RelayId).Order(), entered.Order());
            Assert.Equal(0, relays[1].Sessions);
        }

        // A grant naming a relay that is gone: 503 relay-unavailable, whichever relay it enters.
        for (var i = 0; i < 2; i++)
        {
            var other = Guid.NewGuid();
            using var refused = await SendAsync(fleet, HttpMethod.Post, $"/whip/{other}", fleet.Grant(other, RelayRole.Host, "local-999"), TestOffers.Publisher(), "application/sdp");
            await FleetRelayTests.AssertUnavailableAsync(refused);
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(SupervisedFleet fleet, HttpMethod method, string path, string grant, string? body = null, string? type = null)
    {
        var request = new HttpRequestMessage(method, new Uri(fleet.BaseUri, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, type!);
        }

        return await fleet.Http.SendAsync(request);
    }
}
