using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Lilium.Testing;

namespace Lilium.Api.Tests;

/// <summary>A client-side user: an ECDSA P-256 key pair, registered and logged in over HTTP like an app would.</summary>
internal sealed class TestUser : IDisposable
{
    private TestUser(ECDsa key, Guid id, string nickname)
    {
        Key = key;
        Id = id;
        Nickname = nickname;
    }

    public ECDsa Key { get; }

    public Guid Id { get; }

    public string Nickname { get; }

    public string AccessToken { get; private set; } = "";

    public string RefreshToken { get; private set; } = "";

    public string PublicKeyBase64 => Convert.ToBase64String(Key.ExportSubjectPublicKeyInfo());

    public static async Task<TestUser> RegisterAsync(ApiServer server, string nickname, bool login = true)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = server.CreateClient();
        var response = await http.PostAsJsonAsync("/v1/users", Registration.For(key, nickname));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var user = new TestUser(key, body.GetProperty("id").GetGuid(), body.GetProperty("nickname").GetString()!);
        if (login)
        {
            await user.LoginAsync(server);
        }

        return user;
    }

    public async Task<JsonElement> ChallengeAsync(ApiServer server)
    {
        using var http = server.CreateClient();
        var response = await http.PostAsJsonAsync("/v1/auth/challenge", new { userId = Id });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    /// <summary>Signs the challenge's signed data the way the docs tell clients to (P1363 by default).</summary>
    public string Sign(JsonElement challenge, DSASignatureFormat format = DSASignatureFormat.IeeeP1363FixedFieldConcatenation) =>
        Convert.ToBase64String(Key.SignData(Convert.FromBase64String(challenge.GetProperty("signedData").GetString()!), HashAlgorithmName.SHA256, format));

    public async Task LoginAsync(ApiServer server)
    {
        var challenge = await ChallengeAsync(server);
        using var http = server.CreateClient();
        var response = await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = challenge.GetProperty("challengeId").GetGuid(), signature = Sign(challenge) });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        SetTokens(await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public void SetTokens(JsonElement tokens)
    {
        AccessToken = tokens.GetProperty("accessToken").GetString()!;
        RefreshToken = tokens.GetProperty("refreshToken").GetString()!;
    }

    public HttpClient Client(ApiServer server) => server.CreateClient(AccessToken);

    public void Dispose() => Key.Dispose();
}
