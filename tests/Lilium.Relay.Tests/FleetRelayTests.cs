using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Lilium.Auth;
using Lilium.Fleet;
using Lilium.Relay.Fleet;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Relay.Tests;

/// <summary>
/// Two in-process relays of one fleet (issue 24): a fresh registry table on the :4566 endpoint, one relay key, heartbeats
/// every 200 ms. Requests enter through the relay that does not own the session, as the load balancer's round robin
/// sends them.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FleetRelayTests(AwsEndpointFixture aws) : IClassFixture<AwsEndpointFixture>, IAsyncLifetime
{
    private readonly TokenKeys _keys = TokenKeys.Generate();
    private readonly string _table = "connections-" + Guid.NewGuid().ToString("N")[..12];
    private RelayRegistry _registry = null!;
    private RelayFixture _a = null!;
    private RelayFixture _b = null!;

    public async Task InitializeAsync()
    {
        var dynamo = DynamoDbClients.Create(aws.Endpoint.ToString(), new BasicAWSCredentials(AwsEndpointFixture.AccessKeyId, AwsEndpointFixture.SecretAccessKey), AwsEndpointFixture.Region);
        _registry = new RelayRegistry(dynamo, _table, TimeProvider.System);
        await _registry.EnsureTableAsync();
        _a = await StartAsync("relay-a");
        _b = await StartAsync("relay-b");
        await WaitForAsync(async () => (await _registry.ListLiveAsync()).Count == 2, "both relays registered");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private async Task<RelayFixture> StartAsync(string id, Action<Relay.RelayOptions>? configure = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["CONNECTIONS_TABLE"] = _table,
            ["RELAY_ID"] = id,
            ["RELAY_HEARTBEAT_MS"] = "200",
            ["AWS_ENDPOINT_URL"] = aws.Endpoint.ToString(),
            ["AWS_REGION"] = AwsEndpointFixture.Region,
            ["AWS_ACCESS_KEY_ID"] = AwsEndpointFixture.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = AwsEndpointFixture.SecretAccessKey,
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
        {
            settings[k] = v;
        }

        var relay = new RelayFixture(configure, settings, _keys);
        await relay.InitializeAsync();
        return relay;
    }

    private string Grant(Guid session, RelayRole role, string? relayId, Guid? user = null) =>
        FleetGrants.Issue(_keys, session, role, relayId, user);

    private static HttpRequestMessage Request(HttpMethod method, Uri url, string grant, string? body = null, string? type = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, type!);
        }

        return request;
    }

    [Fact]
    public async Task Each_relay_registers_what_it_is()
    {
        var a = (await _registry.GetAsync("relay-a"))!;
        Assert.Equal(_a.BaseUri.AbsoluteUri, a.PrivateUrl);
        Assert.Equal(_a.MediaEndPoint.ToString(), a.MediaAddress);
        Assert.Equal(2000, a.Capacity);
        Assert.False(a.Draining);
        Assert.True(_registry.IsLive(a));

        using var health = JsonDocument.Parse(await _a.Http.GetStringAsync(new Uri(_a.BaseUri, "/health")));
        Assert.Equal("ready", health.RootElement.GetProperty("status").GetString());
        Assert.Equal("relay-a", health.RootElement.GetProperty("relayId").GetString());
    }

    [Fact]
    public async Task Whip_whep_patch_and_delete_entering_through_the_other_relay_reach_the_owner()
    {
        var session = Guid.NewGuid();
        var host = Guid.NewGuid();
        var hostGrant = Grant(session, RelayRole.Host, "relay-a", host);

        // WHIP through b: created on a, answered as a answers (relative Location, ETag, a's media address in the SDP).
        using var whip = await _b.Http.SendAsync(Request(HttpMethod.Post, _b.Whip(session), hostGrant, TestOffers.Publisher(), "application/sdp"));
        Assert.Equal(HttpStatusCode.Created, whip.StatusCode);
        var location = whip.Headers.Location!.OriginalString;
        Assert.StartsWith($"/whip/{session}/", location, StringComparison.Ordinal);
        var etag = whip.Headers.ETag!.Tag;
        Assert.Equal("application/sdp", whip.Content.Headers.ContentType!.MediaType);
        var answer = await whip.Content.ReadAsStringAsync();
        Assert.Contains($"127.0.0.1 {_a.MediaEndPoint.Port} typ host", answer, StringComparison.Ordinal);
        Assert.NotNull(_a.Registry.FindSession(session)?.Publisher);
        Assert.Null(_b.Registry.FindSession(session));

        // The registry shows the session on a at its next heartbeat.
        await WaitForAsync(async () => (await _registry.GetAsync("relay-a"))!.Sessions == 1, "a's item counts the session");

        // WHEP through b.
        var viewerGrant = Grant(session, RelayRole.Viewer, "relay-a");
        using var whep = await _b.Http.SendAsync(Request(HttpMethod.Post, _b.Whep(session), viewerGrant, TestOffers.Viewer(), "application/sdp"));
        Assert.Equal(HttpStatusCode.Created, whep.StatusCode);
        Assert.Single(_a.Registry.FindSession(session)!.Subscribers);

        // PATCH (trickle) through b: the owner's 204; a wrong ETag gets the owner's 412 problem.
        using var patch = Request(HttpMethod.Patch, new Uri(_b.BaseUri, location), hostGrant, "a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n", "application/trickle-ice-sdpfrag");
        patch.Headers.TryAddWithoutValidation("If-Match", etag);
        using (var patched = await _b.Http.SendAsync(patch))
        {
            Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        }

        using var stale = Request(HttpMethod.Patch, new Uri(_b.BaseUri, location), hostGrant, "a=candidate:1 1 udp 1 192.0.2.1 9 typ host\r\n", "application/trickle-ice-sdpfrag");
        stale.Headers.TryAddWithoutValidation("If-Match", "\"other\"");
        using (var refused = await _b.Http.SendAsync(stale))
        {
            Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType!.MediaType);
        }

        // DELETE through b ends the publisher on a.
        using (var deleted = await _b.Http.SendAsync(Request(HttpMethod.Delete, new Uri(_b.BaseUri, location), hostGrant)))
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        Assert.True(_a.Registry.FindSession(session)?.Publisher is null or { IsClosed: true });
    }

    [Fact]
    public async Task The_owner_serves_its_own_sessions_and_grants_naming_no_relay_are_served_where_they_land()
    {
        var session = Guid.NewGuid();
        using (var own = await _a.Http.SendAsync(Request(HttpMethod.Post, _a.Whip(session), Grant(session, RelayRole.Host, "relay-a"), TestOffers.Publisher(), "application/sdp")))
        {
            Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        }

        var other = Guid.NewGuid();
        using (var any = await _b.Http.SendAsync(Request(HttpMethod.Post, _b.Whip(other), Grant(other, RelayRole.Host, null), TestOffers.Publisher(), "application/sdp")))
        {
            Assert.Equal(HttpStatusCode.Created, any.StatusCode);
        }

        Assert.NotNull(_a.Registry.FindSession(session));
        Assert.NotNull(_b.Registry.FindSession(other));
    }

    [Fact]
    public async Task A_grant_naming_a_dead_relay_gets_503_relay_unavailable()
    {
        // No item at all, and an item whose heartbeat stopped (a killed task before the TTL takes it).
        await _registry.HeartbeatAsync(new RelayRecord("relay-dead", _a.BaseUri.AbsoluteUri, "127.0.0.1:1", 10, 0, 0, false, 0));
        await Task.Delay(FleetSettings.DefaultLiveWindow + TimeSpan.FromMilliseconds(300));
        foreach (var owner in new[] { "relay-ghost", "relay-dead" })
        {
            var session = Guid.NewGuid();
            using var response = await _b.Http.SendAsync(Request(HttpMethod.Post, _b.Whip(session), Grant(session, RelayRole.Host, owner), TestOffers.Publisher(), "application/sdp"));
            await AssertUnavailableAsync(response);
            Assert.Null(_a.Registry.FindSession(session));
        }
    }

    [Fact]
    public async Task A_request_already_forwarded_is_never_forwarded_again()
    {
        var session = Guid.NewGuid();
        using var request = Request(HttpMethod.Post, _b.Whip(session), Grant(session, RelayRole.Host, "relay-a"), TestOffers.Publisher(), "application/sdp");
        request.Headers.Add(RelayProxy.ForwardedHeader, "1");
        using var response = await _b.Http.SendAsync(request);
        await AssertUnavailableAsync(response);
        Assert.Null(_a.Registry.FindSession(session));
    }

    [Fact]
    public async Task A_bad_grant_is_refused_where_it_lands_never_forwarded()
    {
        var session = Guid.NewGuid();
        var forged = TokenKeys.Generate().RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            IssuedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
            SessionId = session,
            Role = RelayRole.Host,
            RelayId = "relay-a",
        });
        using var response = await _b.Http.SendAsync(Request(HttpMethod.Post, _b.Whip(session), forged, TestOffers.Publisher(), "application/sdp"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(_a.Registry.FindSession(session));
    }

    [Fact]
    public async Task Stopping_marks_draining_at_once_then_deletes_the_item()
    {
        var c = await StartAsync("relay-c", o => o.DrainTimeout = TimeSpan.FromSeconds(2), new Dictionary<string, string> { ["RELAY_HEARTBEAT_MS"] = "60000" });
        try
        {
            await WaitForAsync(async () => await _registry.GetAsync("relay-c") is not null, "c registered");
            var session = Guid.NewGuid();
            using (var created = await c.Http.SendAsync(Request(HttpMethod.Post, c.Whip(session), Grant(session, RelayRole.Host, "relay-c"), TestOffers.Publisher(), "application/sdp")))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            var stopping = c.App.StopAsync(); // SIGTERM
            // Heartbeats are a minute apart here: "draining" within a second is the drain's own write.
            await WaitForAsync(async () => (await _registry.GetAsync("relay-c"))?.Draining == true, "c's item says draining", TimeSpan.FromSeconds(1));
            Assert.DoesNotContain("relay-c", (await _registry.ListLiveAsync()).Select(r => r.RelayId));
            await stopping.WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Null(await _registry.GetAsync("relay-c"));
        }
        finally
        {
            await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task Scale_in_protection_is_on_while_sessions_are_held_and_off_when_none()
    {
        // A loopback stand-in for the ECS agent's task-protection endpoint, recording each PUT.
        var calls = new List<string>();
        await using var agent = LoopbackWebApp.Create();
        agent.MapMethods("/task-protection/v1/state", ["PUT"], async (Microsoft.AspNetCore.Http.HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            lock (calls)
            {
                calls.Add(body);
            }

            return Microsoft.AspNetCore.Http.Results.Text("""{"protection":{"ProtectionEnabled":true,"TaskArn":"arn:aws:ecs:us-east-1:000000000000:task/c/x"}}""", "application/json");
        });
        await agent.StartAsync();
        var agentUri = agent.Urls.First();
        var d = await StartAsync("relay-d", null, new Dictionary<string, string> { ["ECS_AGENT_URI"] = agentUri });
        try
        {
            await Task.Delay(600);
            lock (calls)
            {
                Assert.Empty(calls); // a new task starts unprotected: nothing to say while it holds nothing
            }

            var session = Guid.NewGuid();
            var grant = Grant(session, RelayRole.Host, "relay-d");
            using var created = await d.Http.SendAsync(Request(HttpMethod.Post, d.Whip(session), grant, TestOffers.Publisher(), "application/sdp"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            await WaitForAsync(() => Task.FromResult(Snapshot(calls).Count == 1), "protection turned on");
            using (var on = JsonDocument.Parse(Snapshot(calls)[0]))
            {
                Assert.True(on.RootElement.GetProperty("ProtectionEnabled").GetBoolean());
                Assert.Equal(TaskProtection.ExpiresInMinutes, on.RootElement.GetProperty("ExpiresInMinutes").GetInt32());
            }

            await Task.Delay(600);
            Assert.Single(Snapshot(calls)); // not repeated every beat

            using (var deleted = await d.Http.SendAsync(Request(HttpMethod.Delete, new Uri(d.BaseUri, created.Headers.Location!.OriginalString), grant)))
            {
                Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
            }

            await WaitForAsync(() => Task.FromResult(Snapshot(calls).Count == 2), "protection turned off");
            using var off = JsonDocument.Parse(Snapshot(calls)[1]);
            Assert.False(off.RootElement.GetProperty("ProtectionEnabled").GetBoolean());
        }
        finally
        {
            await d.DisposeAsync();
        }
    }

    private static List<string> Snapshot(List<string> calls)
    {
        lock (calls)
        {
            return [.. calls];
        }
    }

    internal static async Task AssertUnavailableAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("relay-unavailable", problem.RootElement.GetProperty("code").GetString());
    }

    internal static async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"timed out waiting for: {what}");
    }
}
