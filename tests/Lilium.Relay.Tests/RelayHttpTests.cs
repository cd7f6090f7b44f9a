using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Protocol;

namespace Lilium.Relay.Tests;

/// <summary>WHIP/WHEP over real HTTP against the in-process relay: status codes, headers, problem details.</summary>
[Trait("Category", "Integration")]
public sealed class RelayHttpTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task Whip_offer_gets_201_with_location_etag_and_an_ice_lite_answer()
    {
        var session = Guid.NewGuid();

        using var response = await Post(relay.Whip(session), TestOffers.Publisher(), relay.Grant(session, RelayRole.Host));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/sdp", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith($"/whip/{session}/", response.Headers.Location?.OriginalString);
        Assert.True(response.Headers.ETag?.IsWeak == false);
        var answer = await response.Content.ReadAsStringAsync();
        Assert.Contains("a=ice-lite", answer);
        Assert.Contains("a=setup:passive", answer);
        Assert.Contains("a=recvonly", answer);
        Assert.Contains($"typ host", answer);
        Assert.Contains($" {relay.MediaEndPoint.Port} typ host", answer);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin")); // no Origin, no CORS
    }

    [Fact]
    public async Task Second_publisher_for_a_live_session_gets_409()
    {
        var session = Guid.NewGuid();
        using var first = await Post(relay.Whip(session), TestOffers.Publisher(), relay.Grant(session, RelayRole.Host));
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);

        using var second = await Post(relay.Whip(session), TestOffers.Publisher(), relay.Grant(session, RelayRole.Host));

        await AssertProblem(second, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Whep_without_publisher_gets_409_with_retry_after()
    {
        var session = Guid.NewGuid();

        using var response = await Post(relay.Whep(session), TestOffers.Viewer(), relay.Grant(session, RelayRole.Viewer));

        await AssertProblem(response, HttpStatusCode.Conflict);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Null(relay.Registry.FindSession(session)); // a refused viewer leaves nothing behind
    }

    [Fact]
    public async Task Whep_answer_is_sendonly_with_msid_and_ssrc_lines()
    {
        var session = Guid.NewGuid();
        using var publisher = await Post(relay.Whip(session), TestOffers.Publisher(), relay.Grant(session, RelayRole.Host));
        Assert.Equal(HttpStatusCode.Created, publisher.StatusCode);

        using var viewer = await Post(relay.Whep(session), TestOffers.Viewer(), relay.Grant(session, RelayRole.Viewer));

        Assert.Equal(HttpStatusCode.Created, viewer.StatusCode);
        var answer = await viewer.Content.ReadAsStringAsync();
        Assert.Contains("a=sendonly", answer);
        Assert.Contains("a=msid:", answer);
        Assert.Contains(" cname:", answer);
        Assert.Contains("a=rtpmap:97 VP8/90000", answer);
        Assert.Contains("a=rtpmap:96 opus/48000/2", answer);
        Assert.StartsWith($"/whep/{session}/", viewer.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task Wrong_content_type_gets_415()
    {
        var session = Guid.NewGuid();
        using var request = new HttpRequestMessage(HttpMethod.Post, relay.Whip(session))
        {
            Content = new StringContent(TestOffers.Publisher(), Encoding.UTF8, "text/plain"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", relay.Grant(session, RelayRole.Host));

        using var response = await relay.Http.SendAsync(request);

        await AssertProblem(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not sdp at all")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8\r\n")]
    [InlineData("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=rtpmap:96 VP8/90000\r\n")]
    public async Task Malformed_or_unanswerable_sdp_gets_400_problem(string sdp)
    {
        var session = Guid.NewGuid();

        using var response = await Post(relay.Whip(session), sdp, relay.Grant(session, RelayRole.Host));

        var problem = await AssertProblem(response, HttpStatusCode.BadRequest);
        Assert.StartsWith("sdp:", problem.GetProperty("detail").GetString());
        Assert.Null(relay.Registry.FindSession(session));
    }

    [Fact]
    public async Task Missing_malformed_badly_signed_and_expired_grants_get_401()
    {
        var session = Guid.NewGuid();
        var otherKeys = TokenKeys.Generate().RelayCodec();
        var forged = otherKeys.Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            IssuedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
            SessionId = session,
            Role = RelayRole.Host,
        });
        var expired = relay.Grant(session, RelayRole.Host, TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow.AddHours(-1));

        foreach (var token in new string?[] { null, "garbage", "lt1.g.e30.AAAA", forged, expired })
        {
            using var response = await Post(relay.Whip(session), TestOffers.Publisher(), token);
            await AssertProblem(response, HttpStatusCode.Unauthorized);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        }
    }

    [Fact]
    public async Task Grant_for_another_session_or_role_gets_403()
    {
        var session = Guid.NewGuid();
        using var publisher = await Post(relay.Whip(session), TestOffers.Publisher(), relay.Grant(session, RelayRole.Host));
        Assert.Equal(HttpStatusCode.Created, publisher.StatusCode);

        using var otherSession = await Post(relay.Whep(session), TestOffers.Viewer(), relay.Grant(Guid.NewGuid(), RelayRole.Viewer));
        using var viewerPublishing = await Post(relay.Whip(Guid.NewGuid()), TestOffers.Publisher(), relay.Grant(session, RelayRole.Viewer));
        using var hostViewing = await Post(relay.Whep(session), TestOffers.Viewer(), relay.Grant(session, RelayRole.Host));

        await AssertProblem(otherSession, HttpStatusCode.Forbidden);
        await AssertProblem(viewerPublishing, HttpStatusCode.Forbidden);
        await AssertProblem(hostViewing, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Patch_follows_rfc_9725_if_match_rules_and_delete_ends_the_session()
    {
        var session = Guid.NewGuid();
        var grant = relay.Grant(session, RelayRole.Host);
        using var created = await Post(relay.Whip(session), TestOffers.Publisher(), grant);
        var resource = new Uri(relay.BaseUri, created.Headers.Location!);
        var etag = created.Headers.ETag!.Tag;
        const string fragment = "a=ice-ufrag:oGiI\r\na=ice-pwd:GNInPXMd3a63snFKjkSxlZ\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n";

        Assert.Equal(HttpStatusCode.PreconditionRequired, (await Patch(resource, fragment, grant, null, "application/trickle-ice-sdpfrag")).StatusCode);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await Patch(resource, fragment, grant, "\"stale\"", "application/trickle-ice-sdpfrag")).StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Patch(resource, fragment, grant, "*", "application/trickle-ice-sdpfrag")).StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await Patch(resource, fragment, grant, etag, "application/sdp")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Patch(resource, "m=\r\n", grant, etag, "application/trickle-ice-sdpfrag")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Patch(resource, fragment, grant, etag, "application/trickle-ice-sdpfrag")).StatusCode);

        using var forbidden = await Send(HttpMethod.Delete, resource, relay.Grant(Guid.NewGuid(), RelayRole.Host));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        using var deleted = await Send(HttpMethod.Delete, resource, grant);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        using var again = await Send(HttpMethod.Delete, resource, grant);
        await AssertProblem(again, HttpStatusCode.NotFound);
        Assert.Null(relay.Registry.FindSession(session));

        using var republish = await Post(relay.Whip(session), TestOffers.Publisher(), grant);
        Assert.Equal(HttpStatusCode.Created, republish.StatusCode);
    }

    [Fact]
    public async Task Patch_and_delete_of_a_peer_need_the_grant_of_its_own_user()
    {
        // Issue 23: before, any viewer grant for the session could trickle into or tear down another viewer's peer.
        var session = Guid.NewGuid();
        using var publisher = await Post(relay.Whip(session), TestOffers.Publisher(), relay.Grant(session, RelayRole.Host));
        Assert.Equal(HttpStatusCode.Created, publisher.StatusCode);
        var victim = Guid.NewGuid();
        var victimGrant = relay.Grant(session, RelayRole.Viewer, victim, InputPermissions.None);
        using var viewer = await Post(relay.Whep(session), TestOffers.Viewer(), victimGrant);
        Assert.Equal(HttpStatusCode.Created, viewer.StatusCode);
        var resource = new Uri(relay.BaseUri, viewer.Headers.Location!);
        var etag = viewer.Headers.ETag!.Tag;
        var attacker = relay.Grant(session, RelayRole.Viewer, Guid.NewGuid(), InputPermissions.None);
        const string fragment = "a=ice-ufrag:oGiI\r\na=ice-pwd:GNInPXMd3a63snFKjkSxlZ\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host\r\n";

        using (var patched = await Patch(resource, fragment, attacker, etag, "application/trickle-ice-sdpfrag"))
        {
            await AssertProblem(patched, HttpStatusCode.NotFound);
        }

        using (var deleted = await Send(HttpMethod.Delete, resource, attacker))
        {
            await AssertProblem(deleted, HttpStatusCode.NotFound);
        }

        Assert.False(relay.Registry.FindSession(session)!.Subscribers.IsEmpty);
        using var own = await Send(HttpMethod.Delete, resource, victimGrant);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task One_user_holds_a_bounded_number_of_peers_in_a_session()
    {
        // Issue 23: before, one viewer grant opened peers without limit (memory and fan-out per peer).
        var session = Guid.NewGuid();
        using var publisher = await Post(relay.Whip(session), TestOffers.Publisher(), relay.Grant(session, RelayRole.Host));
        Assert.Equal(HttpStatusCode.Created, publisher.StatusCode);
        var grant = relay.Grant(session, RelayRole.Viewer, Guid.NewGuid(), InputPermissions.None);
        for (var i = 0; i < 4; i++)
        {
            using var ok = await Post(relay.Whep(session), TestOffers.Viewer(), grant);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using var refused = await Post(relay.Whep(session), TestOffers.Viewer(), grant);
        await AssertProblem(refused, HttpStatusCode.TooManyRequests);
        Assert.NotNull(refused.Headers.RetryAfter);
        using var other = await Post(relay.Whep(session), TestOffers.Viewer(), relay.Grant(session, RelayRole.Viewer)); // another user is unaffected
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }

    [Fact]
    public async Task Options_answers_cors_preflight_with_accept_post_and_no_grant()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, relay.Whip(Guid.NewGuid()));
        request.Headers.Add("Origin", RelayFixture.AppOrigin);

        using var response = await relay.Http.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("application/sdp", response.Headers.GetValues("Accept-Post").Single());
        Assert.Contains("POST", response.Headers.GetValues("Access-Control-Allow-Methods").Single());
        Assert.Contains("Authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        Assert.Equal(RelayFixture.AppOrigin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Cors_is_limited_to_the_web_apps_origin()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, relay.Whep(Guid.NewGuid()));
        request.Headers.Add("Origin", "https://elsewhere.example");

        using var response = await relay.Http.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Methods"));
        Assert.Contains("Origin", response.Headers.Vary);
    }

    [Fact]
    public async Task Health_and_metrics()
    {
        using var health = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        Assert.Equal("ready", json.RootElement.GetProperty("status").GetString());

        var metrics = await relay.Http.GetStringAsync(new Uri(relay.BaseUri, "/metrics"));
        foreach (var name in new[] { "lilium_relay_sessions", "lilium_relay_peers", "lilium_relay_packets_in_total", "lilium_relay_bytes_out_total", "lilium_relay_nacked_packets_total", "lilium_relay_plis_sent_total", "lilium_relay_publisher_loss_ratio" })
        {
            Assert.Contains($"# TYPE {name} ", metrics);
        }
    }

    private Task<HttpResponseMessage> Post(Uri uri, string sdp, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(sdp, Encoding.UTF8, "application/sdp") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return relay.Http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> Patch(Uri uri, string body, string token, string? ifMatch, string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Patch, uri) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return await relay.Http.SendAsync(request);
    }

    private async Task<HttpResponseMessage> Send(HttpMethod method, Uri uri, string token)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await relay.Http.SendAsync(request);
    }

    private static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)status, json.RootElement.GetProperty("status").GetInt32());
        Assert.Equal(response.Headers.GetValues(Lilium.Protocol.Http.RequestIds.Header).Single(), json.RootElement.GetProperty(Lilium.Protocol.Http.RequestIds.ProblemMember).GetString());
        return json.RootElement.Clone();
    }
}
