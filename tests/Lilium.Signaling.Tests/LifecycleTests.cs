using System.Security.Cryptography;
using Lilium.Data.Auth;
using Lilium.Data.Grants;
using Lilium.Data.Sessions;
using Lilium.Testing;

namespace Lilium.Signaling.Tests;

/// <summary>
/// Issue 23, session lifecycle over real WebSockets: a viewer whose signaling is gone leaves (freeing the place), the host
/// kicks, a host gone past the grace period ends the session with <c>session.ended{reason:"host-gone"}</c>, and the
/// sweeper removes stale rows.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(SignalingCollection))]
public sealed class LifecycleTests(PostgresFixture postgres, AwsEndpointFixture aws) : IAsyncLifetime
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private readonly SignalingWorld _world = new(postgres, aws) { Options = new SignalingOptions { HostGracePeriod = Grace } };

    public Task InitializeAsync() => _world.InitializeAsync();

    public Task DisposeAsync() => _world.DisposeAsync();

    private SessionRepository Sessions => new(_world.Data);

    /// <summary>The host admits the viewer through join.request / join.accept.</summary>
    private static async Task AdmitAsync(TestClient host, TestClient viewer, Session session)
    {
        await viewer.SendAsync(new { v = 1, action = "join.request", id = "j", session = session.Id });
        await viewer.WaitForAsync("join.pending", "j");
        var requestId = TestClient.Str(await host.WaitForAsync("join.incoming"), "requestId");
        await host.SendAsync(new { v = 1, action = "join.accept", id = "a", requestId });
        await host.WaitForAsync("join.accepted", "a");
        await viewer.WaitForAsync("join.accepted");
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task A_viewer_whose_signaling_is_gone_leaves_and_frees_the_place()
    {
        var host = await _world.NewUserAsync("lc-host");
        var first = await _world.NewUserAsync("lc-first");
        var second = await _world.NewUserAsync("lc-second");
        await _world.MakeFriendsAsync(host, first);
        await _world.MakeFriendsAsync(host, second);
        var session = await Sessions.CreateAsync(host.Id, 1, DateTimeOffset.UtcNow);
        await using var h = await _world.ConnectAsync(host);
        var f = await _world.ConnectAsync(first);
        await AdmitAsync(h, f, session);
        Assert.True(await Sessions.IsActiveParticipantAsync(session.Id, first.Id));

        await f.CloseAsync();
        await f.DisposeAsync();
        var left = await h.WaitForAsync("session.left");
        Assert.Equal(first.Id.ToString(), TestClient.Str(left, "viewer"));
        Assert.Equal("disconnected", TestClient.Str(left, "reason"));
        Assert.False(await Sessions.IsActiveParticipantAsync(session.Id, first.Id));

        // The place is free: the second friend is admitted in a one-viewer session.
        await using var s = await _world.ConnectAsync(second);
        await AdmitAsync(h, s, session);
        // and the first needs the host again (no grant over REST).
        var issuer = new RelayGrantIssuer(_world.Data, _world.Keys.RelayCodec());
        Assert.Equal(RelayGrantOutcome.NotAdmitted, (await issuer.IssueAsync(session.Id, first.Id)).Outcome);
    }

    [Fact]
    public async Task The_host_kicks_a_viewer()
    {
        var host = await _world.NewUserAsync("kick-host");
        var viewer = await _world.NewUserAsync("kick-viewer");
        await _world.MakeFriendsAsync(host, viewer);
        var session = await Sessions.CreateAsync(host.Id, 4, DateTimeOffset.UtcNow);
        await using var h = await _world.ConnectAsync(host);
        await using var v = await _world.ConnectAsync(viewer);
        await AdmitAsync(h, v, session);

        await v.SendAsync(new { v = 1, action = "session.kick", id = "k0", session = session.Id, viewer = host.Id });
        Assert.Equal("not-host", TestClient.Str(await v.WaitForAsync("error", "k0"), "code"));
        await h.SendAsync(new { v = 1, action = "session.kick", id = "k", session = session.Id, viewer = viewer.Id });
        var reply = await h.WaitForAsync("session.kicked", "k");
        Assert.Equal(1, reply.GetProperty("delivered").GetInt32());
        Assert.Equal(session.Id.ToString(), TestClient.Str(await v.WaitForAsync("session.kicked"), "session"));
        Assert.False(await Sessions.IsActiveParticipantAsync(session.Id, viewer.Id));
        var issuer = new RelayGrantIssuer(_world.Data, _world.Keys.RelayCodec());
        Assert.Equal(RelayGrantOutcome.NotAdmitted, (await issuer.IssueAsync(session.Id, viewer.Id)).Outcome);
        await h.SendAsync(new { v = 1, action = "session.kick", id = "k2", session = session.Id, viewer = viewer.Id });
        Assert.Equal("not-member", TestClient.Str(await h.WaitForAsync("error", "k2"), "code"));
    }

    [Fact]
    public async Task A_host_gone_past_the_grace_period_ends_the_session_and_the_viewers_hear_why()
    {
        var host = await _world.NewUserAsync("gone-host");
        var viewer = await _world.NewUserAsync("gone-viewer");
        await _world.MakeFriendsAsync(host, viewer);
        var session = await Sessions.CreateAsync(host.Id, 4, DateTimeOffset.UtcNow);
        var kept = await Sessions.CreateAsync(host.Id, 4, DateTimeOffset.UtcNow);
        var h = await _world.ConnectAsync(host);
        await using var v = await _world.ConnectAsync(viewer);
        await AdmitAsync(h, v, session);

        await h.CloseAsync();
        await h.DisposeAsync();
        // Within the grace period nothing ends, and a host back in time keeps the session.
        await Task.Delay(Grace / 2);
        Assert.DoesNotContain(await _world.Handler.SweepAsync(default), e => e.HostId == host.Id);
        Assert.Equal(SessionState.Active, (await Sessions.GetAsync(session.Id))!.State);

        await Task.Delay(Grace);
        var ended = await _world.Handler.SweepAsync(default);
        Assert.Equal(new[] { session.Id, kept.Id }.Order(), ended.Where(e => e.HostId == host.Id).Select(e => e.SessionId).Order());
        Assert.All(ended.Where(e => e.HostId == host.Id), e => Assert.Equal("host-gone", e.Reason));
        var told = await v.WaitForAsync("session.ended");
        Assert.Equal(session.Id.ToString(), TestClient.Str(told, "session"));
        Assert.Equal("host-gone", TestClient.Str(told, "reason"));
        Assert.Equal(SessionState.Ended, (await Sessions.GetAsync(session.Id))!.State);
        Assert.False(await Sessions.IsActiveParticipantAsync(session.Id, viewer.Id));
    }

    [Fact]
    public async Task A_host_back_within_the_grace_period_keeps_the_session()
    {
        var host = await _world.NewUserAsync("back-host");
        var session = await Sessions.CreateAsync(host.Id, 4, DateTimeOffset.UtcNow);
        var h = await _world.ConnectAsync(host);
        await h.CloseAsync();
        await h.DisposeAsync();
        await EventuallyAsync(async () => await AwayAsync(session.Id), "the host is marked away");
        await using var again = await _world.ConnectAsync(host);
        await again.PingAsync();
        Assert.False(await AwayAsync(session.Id));
        await Task.Delay(Grace * 1.5);
        Assert.DoesNotContain(await _world.Handler.SweepAsync(default), e => e.SessionId == session.Id);
        Assert.Equal(SessionState.Active, (await Sessions.GetAsync(session.Id))!.State);
    }

    [Fact]
    public async Task The_sweeper_removes_expired_challenges_invites_and_refresh_families()
    {
        var user = await _world.NewUserAsync("sweep");
        var now = DateTimeOffset.UtcNow;
        await new ChallengeRepository(_world.Data).CreateAsync(new AuthChallenge(Guid.NewGuid(), user.Id, RandomNumberGenerator.GetBytes(32), now.AddSeconds(-1)), now.AddSeconds(-2));
        var live = new AuthChallenge(Guid.NewGuid(), user.Id, RandomNumberGenerator.GetBytes(32), now.AddMinutes(1));
        await new ChallengeRepository(_world.Data).CreateAsync(live, now);
        var families = new RefreshFamilyRepository(_world.Data);
        var revoked = Guid.NewGuid();
        await families.CreateAsync(revoked, user.Id, "t1", now);
        await families.RevokeAsync(revoked, user.Id, now);
        var old = Guid.NewGuid();
        await families.CreateAsync(old, user.Id, "t2", now - RefreshFamilyRepository.TokenLifetime - TimeSpan.FromMinutes(1));
        var current = Guid.NewGuid();
        await families.CreateAsync(current, user.Id, "t3", now);
        var session = await Sessions.CreateAsync(user.Id, 4, now);
        var invites = new InviteRepository(_world.Data);
        await invites.CreateAsync(session.Id, user.Id, RandomNumberGenerator.GetBytes(32), now.AddSeconds(-1), 1, now.AddMinutes(-1));
        await invites.CreateAsync(session.Id, user.Id, RandomNumberGenerator.GetBytes(32), now.AddHours(1), 1, now);

        await _world.Handler.SweepAsync(default);
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM auth_challenges WHERE user_id = $1", user.Id));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM refresh_families WHERE user_id = $1", user.Id));
        Assert.Equal(1L, await CountAsync("SELECT count(*) FROM invites WHERE created_by = $1", user.Id));
    }

    [Fact]
    public async Task A_socket_closes_when_its_token_expires_or_the_login_is_revoked()
    {
        var user = await _world.NewUserAsync("sock");
        var now = DateTimeOffset.UtcNow;
        string Token(DateTimeOffset issued, TimeSpan life) => _world.Keys.AccessCodec().Issue(new Lilium.Auth.AccessClaims
        {
            Subject = user.Id,
            Nickname = user.Nickname,
            IssuedAt = issued.ToUnixTimeSeconds(),
            ExpiresAt = (issued + life).ToUnixTimeSeconds(),
        });

        // Expiry seen on a message: the client hears why, then the socket closes.
        await using var talking = await TestClient.ConnectAsync(_world.Gateway.WebSocketUri, Token(now, TimeSpan.FromSeconds(2)));
        await using var idle = await TestClient.ConnectAsync(_world.Gateway.WebSocketUri, Token(now, TimeSpan.FromSeconds(2)));
        await talking.PingAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        await talking.SendAsync(new { v = 1, action = "ping", id = "late" });
        Assert.Equal("token-expired", TestClient.Str(await talking.WaitForAsync("error", "late"), "code"));
        await talking.WaitClosedAsync();

        // Expiry of an idle socket: the sweeper closes it.
        await _world.Handler.SweepAsync(default);
        await idle.WaitClosedAsync();

        // A revoked login: every socket opened with a token issued before the revocation closes at the next sweep.
        var families = new RefreshFamilyRepository(_world.Data);
        var family = Guid.NewGuid();
        await families.CreateAsync(family, user.Id, "t", now);
        await using var before = await TestClient.ConnectAsync(_world.Gateway.WebSocketUri, Token(now.AddSeconds(-5), TimeSpan.FromMinutes(15)));
        await before.PingAsync();
        Assert.True(await families.RevokeAsync(family, user.Id, DateTimeOffset.UtcNow));
        await _world.Handler.SweepAsync(default);
        await before.WaitClosedAsync();
        await using var after = await TestClient.ConnectAsync(_world.Gateway.WebSocketUri, Token(DateTimeOffset.UtcNow.AddSeconds(2), TimeSpan.FromMinutes(15)));
        await _world.Handler.SweepAsync(default);
        await after.PingAsync(); // a login after the revocation is untouched
    }

    private async Task<bool> AwayAsync(Guid sessionId)
    {
        await using var cmd = _world.Data.CreateCommand("SELECT host_away_since IS NOT NULL FROM sessions WHERE id = $1");
        cmd.Parameters.Add(new() { Value = sessionId });
        return (bool)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<long> CountAsync(string sql, Guid user)
    {
        await using var cmd = _world.Data.CreateCommand(sql);
        cmd.Parameters.Add(new() { Value = user });
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
