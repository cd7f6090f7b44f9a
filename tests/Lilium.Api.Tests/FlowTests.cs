using System.Net;
using System.Net.Http.Json;
using Lilium.Auth;
using Lilium.Testing;
using Lilium.Protocol;

namespace Lilium.Api.Tests;

/// <summary>The whole control-plane story over real HTTP against real Postgres.</summary>
[Trait("Category", "Integration")]
public sealed class FlowTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private ApiServer _server = null!;

    public async Task InitializeAsync() => _server = await ApiServer.StartAsync(postgres);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Register_login_befriend_grant_host_invite_and_get_relay_grants()
    {
        using var host = await TestUser.RegisterAsync(_server, "Host Alice");
        using var friend = await TestUser.RegisterAsync(_server, "Bob");
        using var guest = await TestUser.RegisterAsync(_server, "Carol");
        using var stranger = await TestUser.RegisterAsync(_server, "Mallory");
        using var hostHttp = host.Client(_server);
        using var friendHttp = friend.Client(_server);
        using var guestHttp = guest.Client(_server);
        using var strangerHttp = stranger.Client(_server);

        // me
        var me = await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync("/v1/users/me"));
        Assert.Equal(host.Id, me.GetProperty("id").GetGuid());
        Assert.Equal(64, me.GetProperty("fingerprint").GetString()!.Length);

        // search by nickname prefix (case-insensitive) and by fingerprint
        var found = await ProblemAssert.OkJsonAsync(await friendHttp.GetAsync("/v1/users?nickname=host"));
        Assert.Equal(host.Id, Assert.Single(found.EnumerateArray()).GetProperty("id").GetGuid());
        var byFp = await ProblemAssert.OkJsonAsync(await friendHttp.GetAsync($"/v1/users?fingerprint={me.GetProperty("fingerprint").GetString()!.ToUpperInvariant()}"));
        Assert.Equal(host.Id, Assert.Single(byFp.EnumerateArray()).GetProperty("id").GetGuid());

        // friends: request, list both sides, accept
        var requested = await hostHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = friend.Id });
        Assert.Equal("pending", (await ProblemAssert.OkJsonAsync(requested, HttpStatusCode.Created)).GetProperty("status").GetString());
        var incoming = Assert.Single((await ProblemAssert.OkJsonAsync(await friendHttp.GetAsync("/v1/friends"))).EnumerateArray());
        Assert.Equal(host.Id, incoming.GetProperty("userId").GetGuid());
        Assert.Equal("incoming", incoming.GetProperty("direction").GetString());
        Assert.False(incoming.GetProperty("online").GetBoolean());
        await ProblemAssert.OkJsonAsync(await friendHttp.PostAsync($"/v1/friends/{host.Id}/accept", null));
        var hostsList = Assert.Single((await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync("/v1/friends"))).EnumerateArray());
        Assert.Equal("accepted", hostsList.GetProperty("status").GetString());
        Assert.Equal("outgoing", hostsList.GetProperty("direction").GetString());

        // grants: default none, set keyboard+mouse, read back
        var none = await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync($"/v1/friends/{friend.Id}/grants"));
        Assert.False(none.GetProperty("keyboard").GetBoolean());
        await ProblemAssert.OkJsonAsync(await hostHttp.PutAsJsonAsync($"/v1/friends/{friend.Id}/grants", new { keyboard = true, mouse = true, controller = false, immersion = false }));
        var set = await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync($"/v1/friends/{friend.Id}/grants"));
        Assert.True(set.GetProperty("keyboard").GetBoolean());
        Assert.True(set.GetProperty("mouse").GetBoolean());
        Assert.False(set.GetProperty("controller").GetBoolean());
        // grants to a non-friend are refused
        await ProblemAssert.IsProblemAsync(
            await hostHttp.PutAsJsonAsync($"/v1/friends/{stranger.Id}/grants", new { keyboard = true, mouse = true, controller = true, immersion = true }),
            HttpStatusCode.NotFound, "friend-not-found");

        // session
        var session = await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/sessions", new { maxViewers = 2 }), HttpStatusCode.Created);
        var sid = session.GetProperty("id").GetGuid();
        Assert.Equal("active", session.GetProperty("state").GetString());
        await ProblemAssert.OkJsonAsync(await friendHttp.GetAsync($"/v1/sessions/{sid}")); // a friend of the host sees it
        await ProblemAssert.IsProblemAsync(await strangerHttp.GetAsync($"/v1/sessions/{sid}"), HttpStatusCode.NotFound, "session-not-found");

        // relay grants: host, friend (with the host's grant), stranger refused
        var relay = _server.Keys.RelayCodec();
        var hostGrant = await ProblemAssert.OkJsonAsync(await hostHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        Assert.Equal(TokenError.None, relay.TryRead(hostGrant.GetProperty("token").GetString(), out RelayGrantClaims? hostClaims));
        Assert.Equal(RelayRole.Host, hostClaims!.Role);
        Assert.Equal(sid, hostClaims.SessionId);
        Assert.Equal(host.Id, hostClaims.Subject);

        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = friend.Id })); // the host admits
        var friendGrant = await ProblemAssert.OkJsonAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        Assert.Equal(TokenError.None, relay.TryRead(friendGrant.GetProperty("token").GetString(), out RelayGrantClaims? friendClaims));
        Assert.Equal(RelayRole.Viewer, friendClaims!.Role);
        Assert.Equal(InputPermissions.Keyboard | InputPermissions.Mouse, friendClaims.Permissions);
        Assert.Equal("viewer", friendGrant.GetProperty("role").GetString());
        // an access-token codec must not accept a relay grant
        Assert.Equal(TokenError.WrongKind, _server.Keys.AccessCodec().TryRead(friendGrant.GetProperty("token").GetString(), out AccessClaims? _));

        await ProblemAssert.IsProblemAsync(await strangerHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.NotFound, "session-not-found");

        // invite: guest (not a friend) redeems, then gets a viewer grant with no input
        var invite = await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { expiresInSeconds = 600, maxUses = 1 }), HttpStatusCode.Created);
        var code = invite.GetProperty("code").GetString()!;
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { }), HttpStatusCode.Forbidden, "not-host");
        var redeemed = await ProblemAssert.OkJsonAsync(await guestHttp.PostAsJsonAsync("/v1/invites/redeem", new { code }));
        Assert.Equal(sid, redeemed.GetProperty("sessionId").GetGuid());
        Assert.Equal("joined", redeemed.GetProperty("outcome").GetString());
        await ProblemAssert.IsProblemAsync(await strangerHttp.PostAsJsonAsync("/v1/invites/redeem", new { code }), HttpStatusCode.Gone, "invite-exhausted");

        var guestGrant = await ProblemAssert.OkJsonAsync(await guestHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        Assert.Equal(TokenError.None, relay.TryRead(guestGrant.GetProperty("token").GetString(), out RelayGrantClaims? guestClaims));
        Assert.Equal(RelayRole.Viewer, guestClaims!.Role);
        Assert.Equal(InputPermissions.None, guestClaims.Permissions);

        // participants: host first, then the two viewers
        var participants = (await ProblemAssert.OkJsonAsync(await guestHttp.GetAsync($"/v1/sessions/{sid}/participants"))).EnumerateArray().ToList();
        Assert.Equal(3, participants.Count);
        Assert.Equal("host", participants[0].GetProperty("role").GetString());
        Assert.Equal(new[] { friend.Id, guest.Id }.Order(), participants.Skip(1).Select(p => p.GetProperty("userId").GetGuid()).Order());

        // end: only the host; afterwards no grants
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/end", null), HttpStatusCode.Forbidden, "not-host");
        var ended = await ProblemAssert.OkJsonAsync(await hostHttp.PostAsync($"/v1/sessions/{sid}/end", null));
        Assert.Equal("ended", ended.GetProperty("state").GetString());
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Gone, "session-ended");
        var after = (await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync($"/v1/sessions/{sid}/participants"))).EnumerateArray();
        Assert.All(after, p => Assert.NotEqual(System.Text.Json.JsonValueKind.Null, p.GetProperty("leftAt").ValueKind));
    }

    [Fact]
    public async Task Viewer_cap_holds_and_blocking_removes_grants_and_access()
    {
        using var host = await TestUser.RegisterAsync(_server, "cap-host");
        using var a = await TestUser.RegisterAsync(_server, "cap-a");
        using var b = await TestUser.RegisterAsync(_server, "cap-b");
        using var hostHttp = host.Client(_server);
        foreach (var f in new[] { a, b })
        {
            // asking back accepts
            await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = f.Id }), HttpStatusCode.Created);
            using var fHttp = f.Client(_server);
            var back = await ProblemAssert.OkJsonAsync(await fHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = host.Id }));
            Assert.Equal("accepted", back.GetProperty("status").GetString());
        }

        await ProblemAssert.OkJsonAsync(await hostHttp.PutAsJsonAsync($"/v1/friends/{a.Id}/grants", new { keyboard = true, mouse = true, controller = true, immersion = true }));
        var sid = (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/sessions", new { maxViewers = 1 }), HttpStatusCode.Created)).GetProperty("id").GetGuid();
        using var aHttp = a.Client(_server);
        using var bHttp = b.Client(_server);
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = a.Id }));
        await ProblemAssert.OkJsonAsync(await aHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        await ProblemAssert.IsProblemAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = b.Id }), HttpStatusCode.Conflict, "session-full");
        await ProblemAssert.IsProblemAsync(await bHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Forbidden, "not-admitted");

        // block: the grant row goes, the pair is blocked, a's next relay grant is refused
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsync($"/v1/friends/{a.Id}/block", null));
        await ProblemAssert.IsProblemAsync(await hostHttp.GetAsync($"/v1/friends/{a.Id}/grants"), HttpStatusCode.NotFound, "friend-not-found");
        await ProblemAssert.IsProblemAsync(await aHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.NotFound, "session-not-found");
        await ProblemAssert.IsProblemAsync(await aHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = host.Id }), HttpStatusCode.Forbidden, "blocked");
        // the blocked user does not see the block in their list, and cannot lift it
        Assert.Empty((await ProblemAssert.OkJsonAsync(await aHttp.GetAsync("/v1/friends"))).EnumerateArray());
        await ProblemAssert.IsProblemAsync(await aHttp.DeleteAsync($"/v1/friends/{host.Id}"), HttpStatusCode.NotFound);
        // the blocker can
        Assert.Equal(HttpStatusCode.NoContent, (await hostHttp.DeleteAsync($"/v1/friends/{a.Id}")).StatusCode);
        Assert.DoesNotContain((await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync("/v1/friends"))).EnumerateArray(), f => f.GetProperty("userId").GetGuid() == a.Id);
    }

    [Fact]
    public async Task Decline_and_registration_is_idempotent()
    {
        using var x = await TestUser.RegisterAsync(_server, "decl-x");
        using var y = await TestUser.RegisterAsync(_server, "decl-y");
        using var xHttp = x.Client(_server);
        using var yHttp = y.Client(_server);
        await ProblemAssert.OkJsonAsync(await xHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = y.Id }), HttpStatusCode.Created);
        await ProblemAssert.IsProblemAsync(await xHttp.PostAsync($"/v1/friends/{y.Id}/accept", null), HttpStatusCode.NotFound, "request-not-found"); // not your request to accept
        var declined = await ProblemAssert.OkJsonAsync(await yHttp.PostAsync($"/v1/friends/{x.Id}/decline", null));
        Assert.Equal("declined", declined.GetProperty("status").GetString());
        await ProblemAssert.IsProblemAsync(await yHttp.PostAsync($"/v1/friends/{x.Id}/accept", null), HttpStatusCode.NotFound);

        // same key again: 200 with the same user, nickname unchanged
        using var anon = _server.CreateClient();
        var again = await ProblemAssert.OkJsonAsync(await anon.PostAsJsonAsync("/v1/users", Registration.For(x.Key, "another name")));
        Assert.Equal(x.Id, again.GetProperty("id").GetGuid());
        Assert.Equal("decl-x", again.GetProperty("nickname").GetString());
    }

    [Fact]
    public async Task Concurrent_redemptions_never_exceed_max_uses_or_the_viewer_cap()
    {
        using var host = await TestUser.RegisterAsync(_server, "race-host");
        using var hostHttp = host.Client(_server);
        var sid = (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/sessions", new { maxViewers = 4 }), HttpStatusCode.Created)).GetProperty("id").GetGuid();
        var code = (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { maxUses = 3 }), HttpStatusCode.Created)).GetProperty("code").GetString();
        var guests = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => TestUser.RegisterAsync(_server, $"race-{i}")));
        try
        {
            var results = await Task.WhenAll(guests.Select(async g =>
            {
                using var http = g.Client(_server);
                return (await http.PostAsJsonAsync("/v1/invites/redeem", new { code })).StatusCode;
            }));

            Assert.Equal(3, results.Count(s => s == HttpStatusCode.OK));
            Assert.Equal(7, results.Count(s => s == HttpStatusCode.Gone));
            var viewers = (await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync($"/v1/sessions/{sid}/participants"))).EnumerateArray().Count(p => p.GetProperty("role").GetString() == "viewer");
            Assert.Equal(3, viewers);
        }
        finally
        {
            foreach (var g in guests)
            {
                g.Dispose();
            }
        }
    }

    [Fact]
    public async Task Health_and_openapi_are_public()
    {
        using var anon = _server.CreateClient();
        Assert.Equal("ok", (await ProblemAssert.OkJsonAsync(await anon.GetAsync("/health"))).GetProperty("status").GetString());
        var doc = await ProblemAssert.OkJsonAsync(await anon.GetAsync("/openapi/v1.json"));
        var paths = doc.GetProperty("paths");
        foreach (var p in new[] { "/v1/users", "/v1/auth/token", "/v1/friends", "/v1/sessions/{id}/relay-grants", "/v1/invites/redeem" })
        {
            Assert.True(paths.TryGetProperty(p, out _), p);
        }
    }
}
