using System.Net;
using System.Net.Http.Json;
using Lilium.Testing;

namespace Lilium.Api.Tests;

[Trait("Category", "Integration")]
public sealed class RateLimitTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Auth_endpoints_are_limited_per_address_with_retry_after()
    {
        await using var server = await ApiServer.StartAsync(postgres, settings: new Dictionary<string, string?> { ["RATE_LIMIT_AUTH_PER_IP"] = "5" });
        using var http = server.CreateClient();
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 7; i++)
        {
            var r = await http.PostAsJsonAsync("/v1/auth/challenge", new { userId = Guid.NewGuid() });
            statuses.Add(r.StatusCode);
            limited = r.StatusCode == HttpStatusCode.TooManyRequests ? r : limited;
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.NotFound, 5).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)), statuses);
        await ProblemAssert.IsProblemAsync(limited!, HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.InRange(limited!.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));

        // authenticated endpoints are not under the auth limit
        using var probe = server.CreateClient();
        await ProblemAssert.IsProblemAsync(await probe.GetAsync("/v1/users/me"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Failed_proofs_are_limited_per_user_and_anonymous_challenges_lock_nobody_out()
    {
        // Issue 23: before, asking for challenges in a user's name spent that user's login budget, so anyone could
        // lock them out without ever trying a signature.
        await using var server = await ApiServer.StartAsync(postgres, settings: new Dictionary<string, string?> { ["RATE_LIMIT_AUTH_PER_USER"] = "3" });
        using var user = await TestUser.RegisterAsync(server, "limited", login: false);
        using var other = await TestUser.RegisterAsync(server, "unlimited", login: false);
        using var http = server.CreateClient();
        for (var i = 0; i < 6; i++)
        {
            await user.ChallengeAsync(server);
        }

        await user.LoginAsync(server); // still welcome

        for (var i = 0; i < 3; i++)
        {
            var challenge = await user.ChallengeAsync(server);
            var wrong = await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = challenge.GetProperty("challengeId").GetGuid(), signature = Convert.ToBase64String(new byte[64]) });
            await ProblemAssert.IsProblemAsync(wrong, HttpStatusCode.Unauthorized, "invalid-signature");
        }

        var next = await user.ChallengeAsync(server);
        var blocked = await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = next.GetProperty("challengeId").GetGuid(), signature = user.Sign(next) });
        await ProblemAssert.IsProblemAsync(blocked, HttpStatusCode.TooManyRequests, "rate-limited");
        Assert.NotNull(blocked.Headers.RetryAfter);
        await other.LoginAsync(server); // another user from the same address is unaffected
    }
}
