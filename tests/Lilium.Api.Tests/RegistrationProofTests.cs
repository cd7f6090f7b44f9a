using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Lilium.Testing;

namespace Lilium.Api.Tests;

/// <summary>Registering a key needs a signature by that key over the registration text, with a timestamp near now.</summary>
[Trait("Category", "Integration")]
public sealed class RegistrationProofTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private ApiServer _server = null!;

    public async Task InitializeAsync() => _server = await ApiServer.StartAsync(postgres);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_key_holder_registers_with_a_fresh_proof()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = _server.CreateClient();
        await ProblemAssert.OkJsonAsync(await http.PostAsJsonAsync("/v1/users", Registration.For(key, "proven")), HttpStatusCode.Created);
    }

    [Fact]
    public async Task Without_a_proof_it_is_400_and_nothing_is_registered()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = _server.CreateClient();
        var publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", new { publicKey, nickname = "unproven" }), HttpStatusCode.BadRequest, "bad-request");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", new { publicKey, nickname = "unproven", timestamp = 1, signature = "%%%" }), HttpStatusCode.BadRequest, "bad-request");
        await AssertNotRegisteredAsync(http, key);
    }

    [Fact]
    public async Task Someone_elses_key_cannot_be_registered()
    {
        using var victim = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = _server.CreateClient();
        var forged = Registration.For(victim, "victim-name", signer: attacker);
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", forged), HttpStatusCode.Unauthorized, "invalid-signature");

        // A proof for one nickname does not register another.
        var proof = Registration.For(victim, "chosen");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", proof with { Nickname = "other" }), HttpStatusCode.Unauthorized, "invalid-signature");
        await AssertNotRegisteredAsync(http, victim);
    }

    [Theory]
    [InlineData(-600)]
    [InlineData(600)]
    public async Task A_timestamp_far_from_the_servers_clock_is_clock_skew(int offsetSeconds)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = _server.CreateClient();
        var stale = Registration.For(key, "skewed", DateTimeOffset.UtcNow.AddSeconds(offsetSeconds));
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", stale), HttpStatusCode.BadRequest, "clock-skew");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", stale with { Timestamp = long.MinValue }), HttpStatusCode.BadRequest, "clock-skew");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", stale with { Timestamp = long.MaxValue }), HttpStatusCode.BadRequest, "clock-skew");
    }

    private static async Task AssertNotRegisteredAsync(HttpClient http, ECDsa key)
    {
        // The challenge endpoint answers only for registered keys.
        var response = await http.PostAsJsonAsync("/v1/auth/challenge", new { publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()) });
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }
}
