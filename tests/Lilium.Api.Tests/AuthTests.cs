using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Lilium.Testing;

namespace Lilium.Api.Tests;

/// <summary>Challenge/response login, token expiry and refresh rotation, with a clock the test controls.</summary>
[Trait("Category", "Integration")]
public sealed class AuthTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly ManualTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private ApiServer _server = null!;

    public async Task InitializeAsync() => _server = await ApiServer.StartAsync(postgres, time: _clock);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task A_challenge_is_single_use_even_when_the_first_answer_is_wrong()
    {
        using var user = await TestUser.RegisterAsync(_server, "replay", login: false);
        using var http = _server.CreateClient();
        var challenge = await user.ChallengeAsync(_server);
        var id = challenge.GetProperty("challengeId").GetGuid();

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var wrong = Convert.ToBase64String(other.SignData(Convert.FromBase64String(challenge.GetProperty("signedData").GetString()!), HashAlgorithmName.SHA256));
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = id, signature = wrong }), HttpStatusCode.Unauthorized, "invalid-signature");
        // the right signature, too late: the challenge is gone
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = id, signature = user.Sign(challenge) }), HttpStatusCode.Unauthorized, "invalid-challenge");

        var second = await user.ChallengeAsync(_server);
        var ok = await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = second.GetProperty("challengeId").GetGuid(), signature = user.Sign(second) });
        await ProblemAssert.OkJsonAsync(ok);
        // replaying the accepted answer fails
        await ProblemAssert.IsProblemAsync(
            await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = second.GetProperty("challengeId").GetGuid(), signature = user.Sign(second) }),
            HttpStatusCode.Unauthorized, "invalid-challenge");
    }

    [Fact]
    public async Task Der_signatures_and_login_by_public_key_work()
    {
        using var user = await TestUser.RegisterAsync(_server, "der", login: false);
        using var http = _server.CreateClient();
        var challenge = await ProblemAssert.OkJsonAsync(await http.PostAsJsonAsync("/v1/auth/challenge", new { publicKey = user.PublicKeyBase64 }));
        Assert.Equal(user.Id, challenge.GetProperty("userId").GetGuid());
        var der = user.Sign(challenge, DSASignatureFormat.Rfc3279DerSequence);
        await ProblemAssert.OkJsonAsync(await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = challenge.GetProperty("challengeId").GetGuid(), signature = der }));
    }

    [Fact]
    public async Task Signature_over_other_bytes_is_refused()
    {
        using var user = await TestUser.RegisterAsync(_server, "otherbytes", login: false);
        using var http = _server.CreateClient();
        var challenge = await user.ChallengeAsync(_server);
        // signs the bare nonce, not the domain-separated data
        var bare = Convert.ToBase64String(user.Key.SignData(Convert.FromBase64String(challenge.GetProperty("nonce").GetString()!), HashAlgorithmName.SHA256));
        await ProblemAssert.IsProblemAsync(
            await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = challenge.GetProperty("challengeId").GetGuid(), signature = bare }),
            HttpStatusCode.Unauthorized, "invalid-signature");
        var garbage = Convert.ToBase64String(new byte[64]);
        var c2 = await user.ChallengeAsync(_server);
        await ProblemAssert.IsProblemAsync(
            await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = c2.GetProperty("challengeId").GetGuid(), signature = garbage }),
            HttpStatusCode.Unauthorized, "invalid-signature");
        await ProblemAssert.IsProblemAsync(
            await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = Guid.NewGuid(), signature = "not base64!" }),
            HttpStatusCode.BadRequest, "bad-request");
    }

    [Fact]
    public async Task Challenges_expire_after_60_seconds_and_access_tokens_after_15_minutes()
    {
        using var user = await TestUser.RegisterAsync(_server, "clock");
        using var http = _server.CreateClient();
        var challenge = await user.ChallengeAsync(_server);
        _clock.Advance(TimeSpan.FromSeconds(61));
        await ProblemAssert.IsProblemAsync(
            await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = challenge.GetProperty("challengeId").GetGuid(), signature = user.Sign(challenge) }),
            HttpStatusCode.Unauthorized, "invalid-challenge");

        using var authed = user.Client(_server);
        await ProblemAssert.OkJsonAsync(await authed.GetAsync("/v1/users/me"));
        _clock.Advance(TimeSpan.FromMinutes(16)); // past 15 min + the codec's 30 s skew (the login was 61 s earlier)
        var expired = await authed.GetAsync("/v1/users/me");
        await ProblemAssert.IsProblemAsync(expired, HttpStatusCode.Unauthorized, "token-expired");
        Assert.Contains("error=\"invalid_token\"", expired.Headers.WwwAuthenticate.ToString());

        // the refresh token still works and yields a working access token
        var refreshed = await ProblemAssert.OkJsonAsync(await http.PostAsJsonAsync("/v1/auth/refresh", new { refreshToken = user.RefreshToken }));
        user.SetTokens(refreshed);
        using var again = user.Client(_server);
        await ProblemAssert.OkJsonAsync(await again.GetAsync("/v1/users/me"));
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_revokes_the_whole_login()
    {
        using var user = await TestUser.RegisterAsync(_server, "rotate");
        using var http = _server.CreateClient();
        var first = user.RefreshToken;
        var second = await ProblemAssert.OkJsonAsync(await http.PostAsJsonAsync("/v1/auth/refresh", new { refreshToken = first }));
        var secondRefresh = second.GetProperty("refreshToken").GetString();
        Assert.NotEqual(first, secondRefresh);

        // an attacker replays the old token: refused, and the family is revoked...
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/auth/refresh", new { refreshToken = first }), HttpStatusCode.Unauthorized, "refresh-reused");
        // ...so the legitimate newer token stops working too
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/auth/refresh", new { refreshToken = secondRefresh }), HttpStatusCode.Unauthorized, "refresh-revoked");
        // an access token is not a refresh token
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/auth/refresh", new { refreshToken = user.AccessToken }), HttpStatusCode.Unauthorized, "invalid-token");
    }

    [Fact]
    public async Task Only_a_bearer_access_token_authenticates()
    {
        using var user = await TestUser.RegisterAsync(_server, "bearer");
        using var anon = _server.CreateClient();
        await ProblemAssert.IsProblemAsync(await anon.GetAsync("/v1/users/me"), HttpStatusCode.Unauthorized, "unauthenticated");
        // a public key (or a token) in the query string is ignored
        await ProblemAssert.IsProblemAsync(await anon.GetAsync($"/v1/users/me?publicKey={Uri.EscapeDataString(user.PublicKeyBase64)}"), HttpStatusCode.Unauthorized, "unauthenticated");
        await ProblemAssert.IsProblemAsync(await anon.GetAsync($"/v1/friends?access_token={user.AccessToken}"), HttpStatusCode.Unauthorized, "unauthenticated");
        // other token kinds, other schemes, forged tokens
        using var refreshAsAccess = _server.CreateClient(user.RefreshToken);
        await ProblemAssert.IsProblemAsync(await refreshAsAccess.GetAsync("/v1/users/me"), HttpStatusCode.Unauthorized, "invalid-token");
        using var tampered = _server.CreateClient(user.AccessToken[..^2] + (user.AccessToken[^2] == 'A' ? "BA" : "AA"));
        await ProblemAssert.IsProblemAsync(await tampered.GetAsync("/v1/users/me"), HttpStatusCode.Unauthorized, "invalid-token");
        using var basic = _server.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        await ProblemAssert.IsProblemAsync(await basic.GetAsync("/v1/users/me"), HttpStatusCode.Unauthorized, "invalid-token");
        using var otherKeys = _server.CreateClient(Lilium.Auth.TokenKeys.Generate().AccessCodec().Issue(new Lilium.Auth.AccessClaims
        {
            Subject = user.Id,
            IssuedAt = _clock.GetUtcNow().ToUnixTimeSeconds(),
            ExpiresAt = _clock.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds(),
            Nickname = "x",
        }));
        await ProblemAssert.IsProblemAsync(await otherKeys.GetAsync("/v1/users/me"), HttpStatusCode.Unauthorized, "invalid-token");
    }
}
