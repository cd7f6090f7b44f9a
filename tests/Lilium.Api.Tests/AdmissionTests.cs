using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Testing;

namespace Lilium.Api.Tests;

/// <summary>
/// Issue 23, admission: a viewer grant exists only for someone the host admitted (or who redeemed an invite) and who is
/// still a participant; refusals to outsiders do not reveal whether a session exists or a block is in place.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AdmissionTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private ApiServer _server = null!;

    public async Task InitializeAsync() => _server = await ApiServer.StartAsync(postgres);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task BefriendAsync(TestUser a, TestUser b)
    {
        using var aHttp = a.Client(_server);
        using var bHttp = b.Client(_server);
        await ProblemAssert.OkJsonAsync(await aHttp.PostAsJsonAsync("/v1/friends/requests", new { userId = b.Id }), HttpStatusCode.Created);
        await ProblemAssert.OkJsonAsync(await bHttp.PostAsync($"/v1/friends/{a.Id}/accept", null));
    }

    private static async Task<Guid> HostAsync(HttpClient hostHttp, int maxViewers = 4) =>
        (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync("/v1/sessions", new { maxViewers }), HttpStatusCode.Created)).GetProperty("id").GetGuid();

    [Fact]
    public async Task A_friend_the_host_has_not_admitted_gets_no_viewer_grant()
    {
        using var host = await TestUser.RegisterAsync(_server, "adm-host");
        using var friend = await TestUser.RegisterAsync(_server, "adm-friend");
        await BefriendAsync(host, friend);
        using var hostHttp = host.Client(_server);
        using var friendHttp = friend.Client(_server);
        var sid = await HostAsync(hostHttp);

        // Before issue 23 an accepted friend got a viewer grant here and could watch without the host's say.
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Forbidden, "not-admitted");
        Assert.DoesNotContain((await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync($"/v1/sessions/{sid}/participants"))).EnumerateArray(),
            p => p.GetProperty("userId").GetGuid() == friend.Id);

        // Only the host admits; then the friend's grant is issued.
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = friend.Id }), HttpStatusCode.BadRequest, "self-admit");
        using var other = await TestUser.RegisterAsync(_server, "adm-other");
        await BefriendAsync(friend, other);
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = other.Id }), HttpStatusCode.NotFound, "session-not-found");
        var admitted = await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = friend.Id }));
        Assert.Equal("", admitted.GetProperty("token").GetString()); // the grant is the viewer's, not shown to the host
        var grant = await ProblemAssert.OkJsonAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        Assert.Equal(TokenError.None, _server.Keys.RelayCodec().TryRead(grant.GetProperty("token").GetString(), out RelayGrantClaims? claims));
        Assert.Equal(RelayRole.Viewer, claims!.Role);
        Assert.Equal(friend.Id, claims.Subject);

        // Kicked: no participant any more, no grant; a viewer may also leave by themselves.
        Assert.Equal(HttpStatusCode.NoContent, (await hostHttp.DeleteAsync($"/v1/sessions/{sid}/participants/{friend.Id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Forbidden, "not-admitted");
        await ProblemAssert.IsProblemAsync(await hostHttp.DeleteAsync($"/v1/sessions/{sid}/participants/{friend.Id}"), HttpStatusCode.NotFound, "participant-not-found");
        await ProblemAssert.IsProblemAsync(await friendHttp.DeleteAsync($"/v1/sessions/{sid}/participants/{host.Id}"), HttpStatusCode.Forbidden, "not-host");
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = friend.Id }));
        Assert.Equal(HttpStatusCode.NoContent, (await friendHttp.DeleteAsync($"/v1/sessions/{sid}/participants/{friend.Id}")).StatusCode);
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Forbidden, "not-admitted");
    }

    [Fact]
    public async Task Outsiders_cannot_tell_a_missing_session_from_a_hidden_one_or_a_block()
    {
        using var host = await TestUser.RegisterAsync(_server, "hid-host");
        using var stranger = await TestUser.RegisterAsync(_server, "hid-stranger");
        using var pest = await TestUser.RegisterAsync(_server, "hid-pest");
        using var invitee = await TestUser.RegisterAsync(_server, "hid-invitee");
        await BefriendAsync(host, pest);
        using var hostHttp = host.Client(_server);
        var sid = await HostAsync(hostHttp);
        // the pest was admitted, then blocked: the block ends the participation
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = pest.Id }));
        var code = (await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { maxUses = 5 }), HttpStatusCode.Created)).GetProperty("code").GetString();
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsync($"/v1/friends/{pest.Id}/block", null));

        using var strangerHttp = stranger.Client(_server);
        using var pestHttp = pest.Client(_server);
        var missing = await BodyAsync(await strangerHttp.PostAsync($"/v1/sessions/{Guid.NewGuid()}/relay-grants", null));
        var hidden = await BodyAsync(await strangerHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        var blocked = await BodyAsync(await pestHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        Assert.Equal((HttpStatusCode.NotFound, "session-not-found"), (missing.Status, missing.Code));
        Assert.Equal(missing, hidden);
        Assert.Equal(missing, blocked);

        // A blocked user cannot get in through an invite either; an unblocked invitee can.
        await ProblemAssert.IsProblemAsync(await pestHttp.PostAsJsonAsync("/v1/invites/redeem", new { code }), HttpStatusCode.NotFound, "invite-not-found");
        using var inviteeHttp = invitee.Client(_server);
        await ProblemAssert.OkJsonAsync(await inviteeHttp.PostAsJsonAsync("/v1/invites/redeem", new { code }));
        await ProblemAssert.OkJsonAsync(await inviteeHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        // The host cannot admit someone who is not a friend (the invitee came in by invite; the stranger may not).
        await ProblemAssert.IsProblemAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = stranger.Id }), HttpStatusCode.NotFound, "session-not-found");
    }

    [Fact]
    public async Task Unfriending_ends_the_participation()
    {
        using var host = await TestUser.RegisterAsync(_server, "unf-host");
        using var friend = await TestUser.RegisterAsync(_server, "unf-friend");
        await BefriendAsync(host, friend);
        using var hostHttp = host.Client(_server);
        using var friendHttp = friend.Client(_server);
        var sid = await HostAsync(hostHttp);
        await ProblemAssert.OkJsonAsync(await hostHttp.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = friend.Id }));
        await ProblemAssert.OkJsonAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        Assert.Equal(HttpStatusCode.NoContent, (await friendHttp.DeleteAsync($"/v1/friends/{host.Id}")).StatusCode);
        // a former participant knows the session exists: they are told they are no longer admitted
        await ProblemAssert.IsProblemAsync(await friendHttp.PostAsync($"/v1/sessions/{sid}/relay-grants", null), HttpStatusCode.Forbidden, "not-admitted");
        Assert.All((await ProblemAssert.OkJsonAsync(await hostHttp.GetAsync($"/v1/sessions/{sid}/participants"))).EnumerateArray(),
            p => Assert.True(p.GetProperty("role").GetString() == "host" || p.GetProperty("leftAt").ValueKind != JsonValueKind.Null));
    }

    private static async Task<(HttpStatusCode Status, string? Code, string? Detail)> BodyAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, body.GetProperty("code").GetString(), body.GetProperty("detail").GetString());
    }
}
