using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lilium.Testing;

namespace Lilium.Api.Tests;

/// <summary>Whatever a client sends, the answer is a 4xx problem (never a 500), and nothing is written.</summary>
[Trait("Category", "Integration")]
public sealed class HostileInputTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private ApiServer _server = null!;
    private TestUser _user = null!;

    public async Task InitializeAsync()
    {
        _server = await ApiServer.StartAsync(postgres);
        _user = await TestUser.RegisterAsync(_server, "hostile");
    }

    public async Task DisposeAsync()
    {
        _user.Dispose();
        await _server.DisposeAsync();
    }

    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "POST", "/v1/users", "{" },
        { "POST", "/v1/users", "[]" },
        { "POST", "/v1/users", "null" },
        { "POST", "/v1/users", "{\"publicKey\": 5, \"nickname\": \"x\"}" },
        { "POST", "/v1/users", "{\"nickname\": \"x\"}" },
        { "POST", "/v1/users", "{\"publicKey\": null, \"nickname\": \"x\"}" },
        { "POST", "/v1/users", "{\"publicKey\": \"AAAA\", \"nickname\": \"x\",}" },
        { "POST", "/v1/auth/challenge", "{\"userId\": \"not-a-guid\"}" },
        { "POST", "/v1/auth/token", "{\"challengeId\": 12, \"signature\": \"AA==\"}" },
        { "POST", "/v1/auth/token", "\"just a string\"" },
        { "POST", "/v1/auth/refresh", "{\"refreshToken\": {\"nested\": true}}" },
        { "POST", "/v1/friends/requests", "{\"userId\": true}" },
        { "PUT", "/v1/friends/00000000-0000-0000-0000-000000000001/grants", "{\"keyboard\": \"yes\", \"mouse\": true, \"controller\": true, \"immersion\": true}" },
        { "PUT", "/v1/friends/00000000-0000-0000-0000-000000000001/grants", "{\"keyboard\": true}" },
        { "POST", "/v1/sessions", "{\"maxViewers\": 1.5}" },
        { "POST", "/v1/sessions", "{\"maxViewers\": 99999999999}" },
        { "POST", "/v1/invites/redeem", "{\"code\": 1}" },
        { "POST", "/v1/invites/redeem", "\uFEFF{\"code\": \"x\"" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Malformed_json_and_wrong_types_are_400_problems(string method, string path, string body)
    {
        using var http = _user.Client(_server);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        await ProblemAssert.IsProblemAsync(await http.SendAsync(request), HttpStatusCode.BadRequest, "malformed-request");
    }

    [Fact]
    public async Task Bodies_over_16_KB_are_413_whether_declared_or_chunked()
    {
        using var http = _user.Client(_server);
        var big = "{\"publicKey\":\"" + new string('A', 17 * 1024) + "\",\"nickname\":\"x\"}";
        await ProblemAssert.IsProblemAsync(await http.PostAsync("/v1/users", new StringContent(big, Encoding.UTF8, "application/json")), HttpStatusCode.RequestEntityTooLarge, "too-large");

        // Chunked, no Content-Length: the server must stop while reading. It answers 413 and may close
        // before the client has written everything, so write over a raw socket, tolerate the early close,
        // then read the response (HttpClient would surface the broken pipe instead of the answer).
        var uri = http.BaseAddress!;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port);
        var stream = tcp.GetStream();
        var head = Encoding.ASCII.GetBytes($"POST /v1/users HTTP/1.1\r\nHost: {uri.Authority}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        var payload = Encoding.UTF8.GetBytes(big);
        try
        {
            await stream.WriteAsync(head);
            for (var at = 0; at < payload.Length; at += 1024)
            {
                var n = Math.Min(1024, payload.Length - at);
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"{n:x}\r\n"));
                await stream.WriteAsync(payload.AsMemory(at, n));
                await stream.WriteAsync("\r\n"u8.ToArray());
            }

            await stream.WriteAsync("0\r\n\r\n"u8.ToArray());
        }
        catch (IOException)
        {
            // the server stopped reading: expected once the limit is crossed
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        Assert.StartsWith("HTTP/1.1 413", response, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", response, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("too-large", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_content_type_unknown_route_and_wrong_method_are_problems()
    {
        using var http = _user.Client(_server);
        await ProblemAssert.IsProblemAsync(await http.PostAsync("/v1/users", new StringContent("{}", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType);
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/v1/nothing-here"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/v1/sessions/not-a-guid"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await http.DeleteAsync("/v1/users/me"), HttpStatusCode.MethodNotAllowed);
        await ProblemAssert.IsProblemAsync(await http.PutAsync("/health", null), HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        using var http = _user.Client(_server);
        var id = Guid.NewGuid();
        await ProblemAssert.IsProblemAsync(await http.GetAsync($"/v1/users/{id}"), HttpStatusCode.NotFound, "user-not-found");
        await ProblemAssert.IsProblemAsync(await http.GetAsync($"/v1/sessions/{id}"), HttpStatusCode.NotFound, "session-not-found");
        await ProblemAssert.IsProblemAsync(await http.GetAsync($"/v1/sessions/{id}/participants"), HttpStatusCode.NotFound, "session-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsync($"/v1/sessions/{id}/end", null), HttpStatusCode.NotFound, "session-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsync($"/v1/sessions/{id}/relay-grants", null), HttpStatusCode.NotFound, "session-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync($"/v1/sessions/{id}/invites", new { }), HttpStatusCode.NotFound, "session-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/friends/requests", new { userId = id }), HttpStatusCode.NotFound, "user-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsync($"/v1/friends/{id}/accept", null), HttpStatusCode.NotFound, "request-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsync($"/v1/friends/{id}/block", null), HttpStatusCode.NotFound, "user-not-found");
        await ProblemAssert.IsProblemAsync(await http.DeleteAsync($"/v1/friends/{id}"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await http.GetAsync($"/v1/friends/{id}/grants"), HttpStatusCode.NotFound, "friend-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/invites/redeem", new { code = "nope" }), HttpStatusCode.NotFound, "invite-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/invites/redeem", new { code = new string('x', 5000) }), HttpStatusCode.NotFound, "invite-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/auth/challenge", new { userId = id }), HttpStatusCode.NotFound, "user-not-found");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/friends/requests", new { userId = _user.Id }), HttpStatusCode.BadRequest, "self-request");
    }

    [Fact]
    public async Task Out_of_range_values_are_400_problems()
    {
        using var http = _user.Client(_server);
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/sessions", new { maxViewers = 0 }), HttpStatusCode.BadRequest, "invalid-max-viewers");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/sessions", new { maxViewers = 65 }), HttpStatusCode.BadRequest, "invalid-max-viewers");
        var sid = (await ProblemAssert.OkJsonAsync(await http.PostAsJsonAsync("/v1/sessions", new { }), HttpStatusCode.Created)).GetProperty("id").GetGuid();
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { expiresInSeconds = 5 }), HttpStatusCode.BadRequest, "invalid-expiry");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { expiresInSeconds = int.MaxValue }), HttpStatusCode.BadRequest, "invalid-expiry");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { maxUses = -1 }), HttpStatusCode.BadRequest, "invalid-max-uses");
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/v1/users"), HttpStatusCode.BadRequest, "missing-query");
        await ProblemAssert.IsProblemAsync(await http.GetAsync("/v1/users?fingerprint=zz"), HttpStatusCode.BadRequest, "invalid-fingerprint");
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/auth/challenge", new { }), HttpStatusCode.BadRequest, "invalid-request");
    }

    public static TheoryData<string> BadKeys()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var good = p256.ExportSubjectPublicKeyInfo();
        var flipped = (byte[])good.Clone();
        flipped[^1] ^= 0x01; // the point is no longer on the curve
        return new TheoryData<string>
        {
            "",
            "%%%",
            Convert.ToBase64String(new byte[91]),
            Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo()),
            Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()),
            Convert.ToBase64String(flipped),
            Convert.ToBase64String([.. good, 0x00]),
            Convert.ToBase64String(good[..^1]),
        };
    }

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task Keys_that_are_not_P256_points_are_refused(string publicKey)
    {
        using var http = _server.CreateClient();
        await ProblemAssert.IsProblemAsync(await http.PostAsJsonAsync("/v1/users", new { publicKey, nickname = "k" }), HttpStatusCode.BadRequest, "invalid-public-key");
    }

    public static TheoryData<string> BadNicknames => new()
    {
        "",
        " leading",
        "trailing ",
        "\u3000ideographic-space",
        "tab\there",
        "new\nline",
        "nul\0byte",
        "zero\u200Bwidth",
        "bidi\u202Eoverride",
        "bom\uFEFF",
        "private\uE000use",
        "line\u2028sep",
        new string('a', 33),
        string.Concat(Enumerable.Repeat("😀", 33)),
    };

    /// <summary>Lone surrogates can only arrive as JSON escapes (a serializer would replace them with U+FFFD).</summary>
    [Theory]
    [InlineData("lone\\ud800surrogate")]
    [InlineData("\\udc00reversed")]
    [InlineData("\\udbff\\udbffpair")]
    public async Task Lone_surrogates_in_json_escapes_are_400(string escaped)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = _server.CreateClient();
        var body = $"{{\"publicKey\":\"{Convert.ToBase64String(key.ExportSubjectPublicKeyInfo())}\",\"nickname\":\"{escaped}\"}}";
        var response = await http.PostAsync("/v1/users", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(problem.GetProperty("code").GetString(), new[] { "invalid-nickname", "malformed-request" });
    }

    [Theory]
    [MemberData(nameof(BadNicknames))]
    public async Task Nicknames_breaking_the_rules_are_400(string nickname)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = _server.CreateClient();
        var response = await http.PostAsJsonAsync("/v1/users", new { publicKey = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), nickname });
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "invalid-nickname");
    }

    public static TheoryData<string, string> GoodNicknames => new()
    {
        { "Robert'); DROP TABLE users;--", "Robert'); DROP TABLE users;--" },
        { "100% _legit_ \\o/", "100% _legit_ \\o/" },
        { "e\u0301toile", "\u00E9toile" }, // NFD in, NFC stored
        { "名前", "名前" },
        { string.Concat(Enumerable.Repeat("😀", 32)), string.Concat(Enumerable.Repeat("😀", 32)) }, // 32 scalars, 64 UTF-16 units
        { "a b", "a b" },
    };

    [Theory]
    [MemberData(nameof(GoodNicknames))]
    public async Task Nicknames_with_sql_metacharacters_and_unicode_are_stored_exactly(string nickname, string stored)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = _server.CreateClient();
        var created = await ProblemAssert.OkJsonAsync(
            await http.PostAsJsonAsync("/v1/users", Registration.For(key, nickname)), HttpStatusCode.Created);
        Assert.Equal(stored, created.GetProperty("nickname").GetString());

        // search by the exact text finds it (LIKE wildcards in it match literally)
        using var authed = _user.Client(_server);
        var found = await ProblemAssert.OkJsonAsync(await authed.GetAsync($"/v1/users?nickname={Uri.EscapeDataString(nickname)}"));
        Assert.Contains(found.EnumerateArray(), u => u.GetProperty("id").GetGuid() == created.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Like_wildcards_in_a_search_do_not_match_everything()
    {
        using var authed = _user.Client(_server);
        var all = await ProblemAssert.OkJsonAsync(await authed.GetAsync("/v1/users?nickname=%25"));
        Assert.All(all.EnumerateArray(), u => Assert.StartsWith("%", u.GetProperty("nickname").GetString()));
        var underscore = await ProblemAssert.OkJsonAsync(await authed.GetAsync("/v1/users?nickname=_"));
        Assert.All(underscore.EnumerateArray(), u => Assert.StartsWith("_", u.GetProperty("nickname").GetString()));
        var invalid = await ProblemAssert.OkJsonAsync(await authed.GetAsync("/v1/users?nickname=%00"));
        Assert.Equal(JsonValueKind.Array, invalid.ValueKind);
        Assert.Empty(invalid.EnumerateArray());
    }
}
