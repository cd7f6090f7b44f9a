using Lilium.Auth;
using Lilium.Data.Friends;
using Lilium.Data.Sessions;
using Lilium.Testing;
using Lilium.Protocol;

namespace Lilium.Signaling.Tests;

/// <summary>Join requests, in-session RTC relay, grant updates and session end over real WebSockets (issue 3).</summary>
[Collection(nameof(SignalingCollection))]
[Trait("Category", "Integration")]
public sealed class SessionSignalingTests(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    private readonly SignalingWorld _world = new(postgres, aws);

    public Task InitializeAsync() => _world.InitializeAsync();

    public Task DisposeAsync() => _world.DisposeAsync();

    private Task<Session> HostAsync(TestUser host, int maxViewers = 4) =>
        new SessionRepository(_world.Data).CreateAsync(host.Id, maxViewers, DateTimeOffset.UtcNow);

    /// <summary>A host with an active session and an accepted friend, both connected.</summary>
    private async Task<Pair> HostAndFriendAsync()
    {
        var host = await _world.NewUserAsync("host");
        var viewer = await _world.NewUserAsync("viewer");
        await _world.MakeFriendsAsync(host, viewer);
        var session = await HostAsync(host);
        return new Pair(host, viewer, session, await _world.ConnectAsync(host), await _world.ConnectAsync(viewer));
    }

    private sealed record Pair(TestUser Host, TestUser Viewer, Session Session, TestClient H, TestClient V) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await H.DisposeAsync();
            await V.DisposeAsync();
        }
    }

    /// <summary>Viewer asks, host sees the request; returns the request id.</summary>
    private static async Task<string> RequestAsync(TestClient viewer, TestClient host, Session session, TestUser viewerUser)
    {
        await viewer.SendAsync(new { v = 1, action = "join.request", id = "j", to = session.HostId, session = session.Id });
        var pending = await viewer.WaitForAsync("join.pending", "j");
        var incoming = await host.WaitForAsync("join.incoming");
        Assert.Equal(viewerUser.Id.ToString(), TestClient.Str(incoming, "from"));
        Assert.Equal(viewerUser.Nickname, TestClient.Str(incoming, "nick"));
        Assert.Equal(session.Id.ToString(), TestClient.Str(incoming, "session"));
        Assert.Equal(TestClient.Str(pending, "requestId"), TestClient.Str(incoming, "requestId"));
        return TestClient.Str(incoming, "requestId")!;
    }

    private static async Task<string> DeniedReasonAsync(TestClient viewer, Session session)
    {
        await viewer.SendAsync(new { v = 1, action = "join.request", id = "d", session = session.Id });
        var denied = await viewer.WaitForAsync(m => TestClient.Str(m, "action") == "join.denied");
        Assert.Equal(session.Id.ToString(), TestClient.Str(denied, "session"));
        return TestClient.Str(denied, "reason")!;
    }

    [Fact]
    public async Task An_accepted_join_hands_the_viewer_a_relay_grant_with_the_hosts_permissions()
    {
        var host = await _world.NewUserAsync("host");
        var viewer = await _world.NewUserAsync("viewer");
        await _world.MakeFriendsAsync(host, viewer);
        await new FriendGrantRepository(_world.Data).SetAsync(host.Id, viewer.Id, InputPermissions.Mouse, DateTimeOffset.UtcNow);
        var session = await HostAsync(host);
        await using var h = await _world.ConnectAsync(host);
        await using var v = await _world.ConnectAsync(viewer);

        var requestId = await RequestAsync(v, h, session, viewer);
        await h.SendAsync(new { v = 1, action = "join.accept", id = "a", requestId });

        var hostView = await h.WaitForAsync("join.accepted", "a");
        Assert.Equal(viewer.Id.ToString(), TestClient.Str(hostView, "viewer"));
        Assert.Equal(1, hostView.GetProperty("delivered").GetInt32());
        var accepted = await v.WaitForAsync("join.accepted");
        Assert.Equal(requestId, TestClient.Str(accepted, "requestId"));
        Assert.Equal("http://relay.test:8080/", TestClient.Str(accepted, "relayUrl"));
        Assert.True(accepted.GetProperty("permissions").GetProperty("mouse").GetBoolean());
        Assert.False(accepted.GetProperty("permissions").GetProperty("keyboard").GetBoolean());

        // The grant is what the relay verifies: signed with the relay key, naming session, role and permissions.
        Assert.Equal(TokenError.None, _world.Keys.RelayCodec().TryRead(TestClient.Str(accepted, "grant"), out RelayGrantClaims? grant));
        Assert.Equal(session.Id, grant!.SessionId);
        Assert.Equal(viewer.Id, grant.Subject);
        Assert.Equal(RelayRole.Viewer, grant.Role);
        Assert.Equal(InputPermissions.Mouse, grant.Permissions);
        Assert.True(await new SessionRepository(_world.Data).IsActiveParticipantAsync(session.Id, viewer.Id));

        // A request is answered once.
        await h.SendAsync(new { v = 1, action = "join.accept", id = "again", requestId });
        Assert.Equal("unknown-request", TestClient.Str(await h.WaitForAsync("error", "again"), "code"));
    }

    [Fact]
    public async Task Joins_are_denied_for_each_reason()
    {
        var host = await _world.NewUserAsync("host");
        var friend = await _world.NewUserAsync("friend");
        var second = await _world.NewUserAsync("second");
        var stranger = await _world.NewUserAsync("stranger");
        var pest = await _world.NewUserAsync("pest");
        await _world.MakeFriendsAsync(host, friend);
        await _world.MakeFriendsAsync(host, second);
        await _world.MakeFriendsAsync(host, pest);
        Assert.True(await _world.Friendships.BlockAsync(host.Id, pest.Id, DateTimeOffset.UtcNow));
        var session = await HostAsync(host, maxViewers: 1);

        await using var f = await _world.ConnectAsync(friend);
        Assert.Equal("host-offline", await DeniedReasonAsync(f, session));

        await using var h = await _world.ConnectAsync(host);
        await using var s = await _world.ConnectAsync(stranger);
        // Neither a non-friend nor a blocked user learns that the session exists or that a block is in place: both hear
        // exactly what a request for a session that does not exist hears (issue 23).
        Assert.Equal("no-session", await DeniedReasonAsync(s, session));
        await using var p = await _world.ConnectAsync(pest);
        Assert.Equal("no-session", await DeniedReasonAsync(p, session));
        await p.SendAsync(new { v = 1, action = "join.request", id = "d", session = session.Id });
        var toPest = await p.WaitForAsync(m => TestClient.Str(m, "action") == "join.denied");
        var missing = Guid.NewGuid();
        await p.SendAsync(new { v = 1, action = "join.request", id = "d", session = missing });
        var toPestMissing = await p.WaitForAsync(m => TestClient.Str(m, "action") == "join.denied");
        Assert.Equal(toPest.GetRawText().Replace(session.Id.ToString(), "S", StringComparison.Ordinal), toPestMissing.GetRawText().Replace(missing.ToString(), "S", StringComparison.Ordinal));

        var declined = await RequestAsync(f, h, session, friend);
        await h.SendAsync(new { v = 1, action = "join.decline", id = "no", requestId = declined });
        await h.WaitForAsync("join.declined", "no");
        var denied = await f.WaitForAsync("join.denied");
        Assert.Equal("declined", TestClient.Str(denied, "reason"));
        Assert.Equal(declined, TestClient.Str(denied, "requestId"));

        var admitted = await RequestAsync(f, h, session, friend);
        await h.SendAsync(new { v = 1, action = "join.accept", id = "yes", requestId = admitted });
        await f.WaitForAsync("join.accepted");
        await using var c = await _world.ConnectAsync(second);
        Assert.Equal("session-full", await DeniedReasonAsync(c, session));

        await c.SendAsync(new { v = 1, action = "join.request", id = "x", session = Guid.NewGuid() });
        Assert.Equal("no-session", TestClient.Str(await c.WaitForAsync("join.denied", "x"), "reason"));
        await c.SendAsync(new { v = 1, action = "join.request", id = "y", session = "not-an-id" });
        Assert.Equal("bad-request", TestClient.Str(await c.WaitForAsync("error", "y"), "code"));
        await c.PingAsync();
    }

    [Fact]
    public async Task Only_the_addressed_host_answers_a_request()
    {
        await using var pair = await HostAndFriendAsync();
        var (host, viewer, session, h, v) = pair;
        var requestId = await RequestAsync(v, h, session, viewer);

        // The viewer cannot admit itself.
        await v.SendAsync(new { v = 1, action = "join.accept", id = "self", requestId });
        Assert.Equal("unknown-request", TestClient.Str(await v.WaitForAsync("error", "self"), "code"));
        await h.SendAsync(new { v = 1, action = "join.accept", id = "a", requestId });
        await v.WaitForAsync("join.accepted");
    }

    [Fact]
    public async Task Offer_answer_and_ice_are_relayed_only_within_a_session()
    {
        var host = await _world.NewUserAsync("host");
        var viewer = await _world.NewUserAsync("viewer");
        var outsider = await _world.NewUserAsync("outsider");
        await _world.MakeFriendsAsync(host, viewer);
        await _world.MakeFriendsAsync(host, outsider);
        var session = await HostAsync(host);
        await using var h = await _world.ConnectAsync(host);
        await using var v = await _world.ConnectAsync(viewer);
        await using var o = await _world.ConnectAsync(outsider);
        var requestId = await RequestAsync(v, h, session, viewer);
        await h.SendAsync(new { v = 1, action = "join.accept", requestId });
        await v.WaitForAsync("join.accepted");

        const string offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
        await v.SendAsync(new { v = 1, action = "rtc.offer", id = "o1", to = host.Id, session = session.Id, sdp = offer });
        var gotOffer = await h.WaitForAsync("rtc.offer");
        Assert.Equal(offer, TestClient.Str(gotOffer, "sdp"));
        Assert.Equal(viewer.Id.ToString(), TestClient.Str(gotOffer, "from"));
        Assert.Equal(session.Id.ToString(), TestClient.Str(gotOffer, "session"));
        await v.WaitForAsync("rtc.sent", "o1");

        await h.SendAsync(new { v = 1, action = "rtc.answer", to = viewer.Id, session = session.Id, sdp = "v=0\r\n" });
        Assert.Equal("v=0\r\n", TestClient.Str(await v.WaitForAsync("rtc.answer"), "sdp"));
        var candidate = new { candidate = "candidate:1 1 udp 2130706431 10.0.0.1 9 typ host", sdpMid = "0", sdpMLineIndex = 0 };
        await h.SendAsync(new { v = 1, action = "rtc.ice", to = viewer.Id, session = session.Id, candidate });
        var ice = await v.WaitForAsync("rtc.ice");
        Assert.Equal("0", TestClient.Str(ice.GetProperty("candidate"), "sdpMid"));

        // A friend of the host who is not in the session reaches nobody, and members cannot address outsiders.
        await o.SendAsync(new { v = 1, action = "rtc.offer", id = "o2", to = host.Id, session = session.Id, sdp = offer });
        Assert.Equal("not-member", TestClient.Str(await o.WaitForAsync("error", "o2"), "code"));
        await h.SendAsync(new { v = 1, action = "rtc.ice", id = "o3", to = outsider.Id, session = session.Id, candidate });
        Assert.Equal("not-member", TestClient.Str(await h.WaitForAsync("error", "o3"), "code"));
        Assert.False(await h.ReceivesWithinAsync(m => TestClient.Str(m, "action") == "rtc.offer", TimeSpan.FromMilliseconds(300)));
        Assert.False(await o.ReceivesWithinAsync(m => TestClient.Str(m, "action") == "rtc.ice", TimeSpan.FromMilliseconds(100)));

        await v.SendAsync(new { v = 1, action = "rtc.offer", id = "o4", to = host.Id, session = session.Id, sdp = 42 });
        Assert.Equal("bad-request", TestClient.Str(await v.WaitForAsync("error", "o4"), "code"));
        await v.SendAsync(new { v = 1, action = "rtc.offer", id = "o5", to = host.Id, session = session.Id, sdp = new string('a', 20_000) });
        Assert.Equal("too-large", TestClient.Str(await v.WaitForAsync("error", "o5"), "code"));
        await v.PingAsync();
    }

    [Fact]
    public async Task A_grant_update_is_persisted_and_reaches_the_viewer()
    {
        await using var pair = await HostAndFriendAsync();
        var (host, viewer, session, h, v) = pair;

        await h.SendAsync(new { v = 1, action = "grant.update", id = "g", session = session.Id, viewer = viewer.Id, permissions = new { keyboard = true, mouse = true, controller = false, immersion = false } });
        var ack = await h.WaitForAsync("grant.updated", "g");
        Assert.Equal(1, ack.GetProperty("delivered").GetInt32());
        var pushed = await v.WaitForAsync("grant.updated");
        Assert.Equal(host.Id.ToString(), TestClient.Str(pushed, "host"));
        Assert.Equal(session.Id.ToString(), TestClient.Str(pushed, "session"));
        var permissions = pushed.GetProperty("permissions");
        Assert.True(permissions.GetProperty("keyboard").GetBoolean());
        Assert.True(permissions.GetProperty("mouse").GetBoolean());
        Assert.False(permissions.GetProperty("immersion").GetBoolean());
        Assert.Equal(InputPermissions.Keyboard | InputPermissions.Mouse, await new FriendGrantRepository(_world.Data).GetAsync(host.Id, viewer.Id));

        // The viewer is not the host; wrong types are refused; strangers get no grants.
        await v.SendAsync(new { v = 1, action = "grant.update", id = "g2", session = session.Id, viewer = host.Id, permissions = new { keyboard = true } });
        Assert.Equal("not-host", TestClient.Str(await v.WaitForAsync("error", "g2"), "code"));
        await h.SendAsync(new { v = 1, action = "grant.update", id = "g3", viewer = viewer.Id, permissions = new { keyboard = "yes" } });
        Assert.Equal("bad-request", TestClient.Str(await h.WaitForAsync("error", "g3"), "code"));
        var stranger = await _world.NewUserAsync("stranger");
        await h.SendAsync(new { v = 1, action = "grant.update", id = "g4", viewer = stranger.Id, permissions = new { mouse = true } });
        Assert.Equal("not-friends", TestClient.Str(await h.WaitForAsync("error", "g4"), "code"));
        Assert.Equal(InputPermissions.Keyboard | InputPermissions.Mouse, await new FriendGrantRepository(_world.Data).GetAsync(host.Id, viewer.Id));
    }

    [Fact]
    public async Task Ending_a_session_tells_its_members()
    {
        await using var pair = await HostAndFriendAsync();
        var (host, viewer, session, h, v) = pair;
        var requestId = await RequestAsync(v, h, session, viewer);
        await h.SendAsync(new { v = 1, action = "join.accept", requestId });
        await v.WaitForAsync("join.accepted");

        await v.SendAsync(new { v = 1, action = "session.end", id = "e0", session = session.Id });
        Assert.Equal("not-host", TestClient.Str(await v.WaitForAsync("error", "e0"), "code"));
        await h.SendAsync(new { v = 1, action = "session.end", id = "e", session = session.Id });
        await h.WaitForAsync("session.ended", "e");
        var ended = await v.WaitForAsync("session.ended");
        Assert.Equal(session.Id.ToString(), TestClient.Str(ended, "session"));
        Assert.Equal("host", TestClient.Str(ended, "reason"));
        Assert.Equal(SessionState.Ended, (await new SessionRepository(_world.Data).GetAsync(session.Id))!.State);

        await v.SendAsync(new { v = 1, action = "rtc.offer", id = "late", to = host.Id, session = session.Id, sdp = "v=0" });
        Assert.Equal("not-member", TestClient.Str(await v.WaitForAsync("error", "late"), "code"));
    }
}
