using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Testing;

namespace Lilium.Api.Tests;

/// <summary>
/// Issue 23, revocations: each act writes what the relays must undo, the feed serves it to relay credentials only,
/// a relay's departure report ends the participation, and logout revokes the login.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RelayFeedTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private ApiServer _server = null!;

    public async Task InitializeAsync() => _server = await ApiServer.StartAsync(postgres);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private HttpClient Relay()
    {
        var now = DateTimeOffset.UtcNow;
        var http = _server.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _server.Keys.RelayServiceCodec().Issue(new RelayServiceClaims
        {
            Subject = Guid.NewGuid(),
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.AddMinutes(5).ToUnixTimeSeconds(),
        }));
        return http;
    }

    private async Task<List<JsonElement>> FeedAsync(long since)
    {
        using var relay = Relay();
        var page = await ProblemAssert.OkJsonAsync(await relay.GetAsync($"/v1/relay/revocations?since={since}"));
        return [.. page.GetProperty("entries").EnumerateArray()];
    }

    [Fact]
    public async Task Kick_grant_change_departure_end_and_logout_reach_the_feed_which_only_relays_read()
    {
        var since = DateTimeOffset.UtcNow.AddSeconds(-1).ToUnixTimeMilliseconds();
        using var host = await TestUser.RegisterAsync(_server, "feed-host");
        using var viewer = await TestUser.RegisterAsync(_server, "feed-viewer");
        using var hostHttp = host.Client(_server);
        using var viewerHttp = viewer.Client(_server);
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = viewer.Id }), HttpStatusCode.Created);
        await ProblemAssert.OkJsonAsync(await viewerHttp.PostAsync($"/v1/friends/{host.Id}/accept", null));
        var sid = (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/sessions", new { }), HttpStatusCode.Created)).GetProperty("id").GetGuid();

        // Only a relay credential reads the feed: no token, a user's token and a relay grant are all refused.
        using (var anonymous = _server.CreateClient())
        {
            await ProblemAssert.IsProblemAsync(await anonymous.GetAsync($"/v1/relay/revocations?since={since}"), HttpStatusCode.Unauthorized, "invalid-relay-credential");
        }

        await ProblemAssert.IsProblemAsync(await hostHttp.GetAsync($"/v1/relay/revocations?since={since}"), HttpStatusCode.Unauthorized, "invalid-relay-credential");
        var grant = (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null))).GetProperty("token").GetString();
        using (var withGrant = _server.CreateClient(grant))
        {
            await ProblemAssert.IsProblemAsync(await withGrant.GetAsync($"/v1/relay/revocations?since={since}"), HttpStatusCode.Unauthorized, "invalid-relay-credential");
        }

        using (var relay = Relay())
        {
            await ProblemAssert.IsProblemAsync(await relay.GetAsync("/v1/relay/revocations?since=soon"), HttpStatusCode.BadRequest, "invalid-since");
        }

        // kick
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = viewer.Id }));
        Assert.Equal(HttpStatusCode.NoContent, (await hostHttp.DeleteAsync($"/v1/sessions/{sid}/participants/{viewer.Id}")).StatusCode);
        Assert.Contains(await FeedAsync(since), e => e.GetProperty("kind").GetString() == "removed"
            && e.GetProperty("session").GetGuid() == sid && e.GetProperty("user").GetGuid() == viewer.Id);

        // a grant change over REST
        await ProblemAssert.OkJsonAsync(await hostHttp.PutAsJsonAsync($"/v1/friends/{viewer.Id}/grants", new { keyboard = false, mouse = true, controller = false, immersion = false }));
        Assert.Contains(await FeedAsync(since), e => e.GetProperty("kind").GetString() == "permissions"
            && e.GetProperty("host").GetGuid() == host.Id && e.GetProperty("user").GetGuid() == viewer.Id
            && e.GetProperty("permissions").GetInt32() == (int)InputPermissions.Mouse);

        // a relay reports a departure: the participation ends
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = viewer.Id }));
        await ProblemAssert.OkJsonAsync(await viewerHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        await ProblemAssert.IsProblemAsync(await hostHttp.PostAsJsonAsync("/v1/relay/departures", new { session = sid, user = viewer.Id }), HttpStatusCode.Unauthorized, "invalid-relay-credential");
        using (var relay = Relay())
        {
            await ProblemAssert.IsProblemAsync(await relay.PostAsJsonAsync("/v1/relay/departures", new { session = sid }), HttpStatusCode.BadRequest, "invalid-departure");
            Assert.Equal(HttpStatusCode.NoContent, (await relay.PostAsJsonAsync("/v1/relay/departures", new { session = sid, user = viewer.Id })).StatusCode);
        }

        await ProblemAssert.IsProblemAsync(await viewerHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Forbidden, "not-admitted");

        // session end
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsync($"/v1/sessions/{sid}/end", null));
        Assert.Contains(await FeedAsync(since), e => e.GetProperty("kind").GetString() == "session-ended" && e.GetProperty("session").GetGuid() == sid);

        // logout: the login's refresh tokens stop working, the feed tells the relays to drop the user's peers
        await ProblemAssert.IsProblemAsync(await viewerHttp.PostAsJsonAsync("/v1/auth/logout", new { refreshToken = host.RefreshToken }), HttpStatusCode.BadRequest, "invalid-request");
        Assert.Equal(HttpStatusCode.NoContent, (await viewerHttp.PostAsJsonAsync("/v1/auth/logout", new { refreshToken = viewer.RefreshToken })).StatusCode);
        using (var anonymous = _server.CreateClient())
        {
            await ProblemAssert.IsProblemAsync(await anonymous.PostAsJsonAsync("/v1/auth/refresh", new { refreshToken = viewer.RefreshToken }), HttpStatusCode.Unauthorized, "refresh-revoked");
        }

        Assert.Contains(await FeedAsync(since), e => e.GetProperty("kind").GetString() == "user-revoked" && e.GetProperty("user").GetGuid() == viewer.Id);
    }

    [Fact]
    public async Task A_departure_reported_after_a_rejoin_leaves_the_new_participation_alone()
    {
        // The relay reports a departure asynchronously (its next poll, a retry after an outage): by then the viewer may
        // have left, been admitted again and hold a new grant. The report names the departed peer's grant; one issued
        // before the current admission is about the earlier participation and must not end the new one.
        using var host = await TestUser.RegisterAsync(_server, "rejoin-host");
        using var viewer = await TestUser.RegisterAsync(_server, "rejoin-viewer");
        using var hostHttp = host.Client(_server);
        using var viewerHttp = viewer.Client(_server);
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = viewer.Id }), HttpStatusCode.Created);
        await ProblemAssert.OkJsonAsync(await viewerHttp.PostAsync($"/v1/friends/{host.Id}/accept", null));
        var sid = (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/sessions", new { }), HttpStatusCode.Created)).GetProperty("id").GetGuid();

        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = viewer.Id }));
        var first = IssuedMs(await GrantAsync(viewerHttp, sid));
        Assert.Equal(HttpStatusCode.NoContent, (await viewerHttp.DeleteAsync($"/v1/sessions/{sid}/participants/{viewer.Id}")).StatusCode); // leaves
        await Task.Delay(Lilium.Data.Sessions.SessionRepository.AdmissionSkew + TimeSpan.FromMilliseconds(100));
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = viewer.Id })); // and is admitted again
        var second = IssuedMs(await GrantAsync(viewerHttp, sid));
        Assert.True(second > first);

        using var relay = Relay();
        await ProblemAssert.IsProblemAsync(await relay.PostAsJsonAsync("/v1/relay/departures", new { session = sid, user = viewer.Id, grant_iat_ms = "soon" }), HttpStatusCode.BadRequest, "invalid-departure");
        Assert.Equal(HttpStatusCode.NoContent, (await relay.PostAsJsonAsync("/v1/relay/departures", new { session = sid, user = viewer.Id, grant_iat_ms = first })).StatusCode);
        await GrantAsync(viewerHttp, sid); // still admitted: the report was about the first participation
        var stranger = Guid.NewGuid(); // a time at the end of the calendar is no crash (nothing to end for this user)
        Assert.Equal(HttpStatusCode.NoContent, (await relay.PostAsJsonAsync("/v1/relay/departures", new { session = sid, user = stranger, grant_iat_ms = 253402300799998 })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await relay.PostAsJsonAsync("/v1/relay/departures", new { session = sid, user = viewer.Id, grant_iat_ms = second })).StatusCode);
        await ProblemAssert.IsProblemAsync(await viewerHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Forbidden, "not-admitted");
    }

    private static async Task<string> GrantAsync(HttpClient viewerHttp, Guid sid) =>
        (await ProblemAssert.OkJsonAsync(await viewerHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null))).GetProperty("token").GetString()!;

    /// <summary>The grant's iat_ms, as the relay reads it.</summary>
    private long IssuedMs(string grant)
    {
        Assert.Equal(TokenError.None, _server.Keys.RelayCodec().TryRead(grant, out RelayGrantClaims? claims));
        return claims!.IssuedAtMs;
    }
}
