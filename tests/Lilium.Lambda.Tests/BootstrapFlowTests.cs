using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Testing;
using Lilium.Protocol;

namespace Lilium.Lambda.Tests;

/// <summary>
/// The published API <c>bootstrap</c> (Native AOT by default; see <see cref="PublishedBootstrap"/>) as Lambda runs it: migrated by its own
/// <c>migrate</c> command, signing keys loaded from Secrets Manager on the :4566 endpoint, real
/// Postgres, and HTTP API 2.0 events from the Runtime API emulator. Its AWS credentials come from a
/// container credentials endpoint (as on ECS/Fargate), so the native binary proves that part of
/// AWSSDK.Core's chain too; Lambda's own environment-variable credentials are the chain's first, simplest step.
/// </summary>
[Trait("Category", "Integration")]
public sealed class BootstrapFlowTests(PostgresFixture postgres, AwsEndpointFixture aws, PublishedBootstrap bootstrap)
    : IClassFixture<PostgresFixture>, IClassFixture<AwsEndpointFixture>, IClassFixture<PublishedBootstrap>, IAsyncLifetime
{
    private readonly TokenKeys _keys = TokenKeys.Generate();
    private LambdaRuntimeEmulator _emulator = null!;
    private LambdaFunctionProcess _function = null!;
    private ContainerCredentialsEndpoint _credentials = null!;

    public async Task InitializeAsync()
    {
        var database = PostgresFixture.ToUrl(await postgres.CreateDatabaseAsync("lambda"));
        var migrate = await ProcessRunner.RunAsync(bootstrap.Path, ["migrate"], TimeSpan.FromMinutes(1), environment: new Dictionary<string, string?> { ["DATABASE_URL"] = database });
        Assert.Contains("migrate: applied", migrate.EnsureSuccess("bootstrap migrate").StdOut, StringComparison.Ordinal);

        // The secret is created with boto3 (installed with moto), independently of our client.
        var secret = await ProcessRunner.RunAsync(
            "python3",
            [Path.Combine(AppContext.BaseDirectory, "boto3_call.py"), "secretsmanager", "create_secret",
             JsonSerializer.Serialize(new { Name = "lilium/lambda-test/" + Guid.NewGuid().ToString("N"), SecretString = _keys.ToJson() })],
            TimeSpan.FromMinutes(1),
            environment: aws.Environment);
        var arn = JsonDocument.Parse(secret.EnsureSuccess("boto3 create_secret").StdOut).RootElement.GetProperty("ARN").GetString();

        _emulator = await LambdaRuntimeEmulator.StartAsync();
        _credentials = await ContainerCredentialsEndpoint.StartAsync();
        var environment = new Dictionary<string, string?>(aws.Environment)
        {
            ["AWS_ACCESS_KEY_ID"] = null,
            ["AWS_SECRET_ACCESS_KEY"] = null,
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = _credentials.Url,
            ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = ContainerCredentialsEndpoint.AuthorizationToken,
            ["HOME"] = Path.GetTempPath(), // no developer profile to fall back on
            ["DATABASE_URL"] = database,
            ["TOKEN_KEYS_SECRET_ARN"] = arn,
            ["RATE_LIMIT_AUTH_PER_IP"] = "100000",
            ["RATE_LIMIT_AUTH_PER_USER"] = "100000",
        };
        _function = LambdaFunctionProcess.Start(_emulator, bootstrap.Path, [], environment);
    }

    public async Task DisposeAsync()
    {
        await _function.DisposeAsync();
        await _emulator.DisposeAsync();
        await _credentials.DisposeAsync();
    }

    [Fact]
    public async Task Health_register_login_friends_grants_session_invite_and_relay_grant()
    {
        using var anonymous = Client();
        var health = await anonymous.GetAsync("/health");
        Assert.True(health.StatusCode == HttpStatusCode.OK, await Describe(health));

        using var host = await RegisterAndLoginAsync("Host Ada");
        using var friend = await RegisterAndLoginAsync("Bob ✓");
        using var guest = await RegisterAndLoginAsync("Carol");

        var me = await Json(await host.Http.GetAsync("/v1/users/me"));
        Assert.Equal(host.Id, me.GetProperty("id").GetGuid());

        Assert.Equal(HttpStatusCode.Created, (await host.Http.PostAsJsonAsync("/v1/friends/requests", new { userId = friend.Id })).StatusCode);
        await Json(await friend.Http.PostAsync($"/v1/friends/{host.Id}/accept", null));
        await Json(await host.Http.PutAsJsonAsync($"/v1/friends/{friend.Id}/grants", new { keyboard = true, mouse = true, controller = false, immersion = false }));

        var session = await Json(await host.Http.PostAsJsonAsync("/v1/sessions", new { maxViewers = 2 }), HttpStatusCode.Created);
        var sid = session.GetProperty("id").GetGuid();
        var invite = await Json(await host.Http.PostAsJsonAsync($"/v1/sessions/{sid}/invites", new { expiresInSeconds = 600, maxUses = 1 }), HttpStatusCode.Created);
        var redeemed = await Json(await guest.Http.PostAsJsonAsync("/v1/invites/redeem", new { code = invite.GetProperty("code").GetString() }));
        Assert.Equal(sid, redeemed.GetProperty("sessionId").GetGuid());

        // A friend gets a viewer grant only once the host has admitted them (docs/security.md, admission).
        Assert.Equal(HttpStatusCode.Forbidden, (await friend.Http.PostAsync($"/v1/sessions/{sid}/relay-grants", null)).StatusCode);
        await Json(await host.Http.PostAsJsonAsync($"/v1/sessions/{sid}/participants", new { userId = friend.Id }));

        // The grant is signed with the relay key the function read from Secrets Manager.
        var grant = await Json(await friend.Http.PostAsync($"/v1/sessions/{sid}/relay-grants", null));
        Assert.Equal(TokenError.None, _keys.RelayCodec().TryRead(grant.GetProperty("token").GetString(), out RelayGrantClaims? claims));
        Assert.Equal(InputPermissions.Keyboard | InputPermissions.Mouse, claims!.Permissions);
        Assert.Equal(sid, claims.SessionId);

        var participants = await Json(await guest.Http.GetAsync($"/v1/sessions/{sid}/participants"));
        Assert.Equal(3, participants.GetArrayLength());

        // The secret was read with the container credentials, asked for with the authorization token.
        Assert.True(_credentials.Requests >= 1, "The credentials endpoint was never asked.");
    }

    [Fact]
    public void The_bootstrap_is_the_build_make_lambdas_was_asked_for()
    {
        // `make test` runs `make lambdas` first: the flows above must exercise the Native AOT executable, not a
        // leftover ReadyToRun bundle (which would hide trimming/AOT-only failures such as a reflection-based serializer).
        Assert.Equal(PublishedBootstrap.ExpectedBuild == "aot", bootstrap.IsNativeAot);
    }

    [Fact]
    public async Task Hostile_input_gets_problem_details_not_500()
    {
        using var http = Client();

        var malformed = await http.PostAsync("/v1/users", new StringContent("{\"publicKey\":", Encoding.UTF8, "application/json"));
        var oversize = await http.PostAsync("/v1/users", new StringContent("{\"nickname\":\"" + new string('x', 20_000) + "\"}", Encoding.UTF8, "application/json"));
        var unauthenticated = await http.GetAsync("/v1/users/me");
        var binary = await http.PostAsync("/v1/users", new ByteArrayContent([0xff, 0xfe, 0x00, 0x01]) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } });

        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversize.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
        Assert.True((int)binary.StatusCode is >= 400 and < 500, await Describe(binary));
    }

    [Fact]
    public async Task Logs_are_json_lines_tagged_with_the_request_id()
    {
        using var http = Client();
        await http.GetAsync("/health");

        var lines = _function.StdOut.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();

        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.True(l.TryGetProperty("level", out _) && l.TryGetProperty("message", out _) && l.TryGetProperty("timestamp", out _)));
        Assert.DoesNotContain(_function.StdOut, l => !l.StartsWith('{'));
    }

    private HttpClient Client(string? token = null)
    {
        var http = new HttpClient(new LambdaHttpApiClientHandler(_emulator)) { BaseAddress = new Uri("https://api.lilium.test") };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    private async Task<LoggedInUser> RegisterAndLoginAsync(string nickname)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var http = Client();
        var user = await Json(await http.PostAsJsonAsync("/v1/users", Registration.For(key, nickname)), HttpStatusCode.Created);
        var id = user.GetProperty("id").GetGuid();
        var challenge = await Json(await http.PostAsJsonAsync("/v1/auth/challenge", new { userId = id }));
        var signature = key.SignData(Convert.FromBase64String(challenge.GetProperty("signedData").GetString()!), HashAlgorithmName.SHA256);
        var tokens = await Json(await http.PostAsJsonAsync("/v1/auth/token", new { challengeId = challenge.GetProperty("challengeId").GetGuid(), signature = Convert.ToBase64String(signature) }));
        return new LoggedInUser(key, id, Client(tokens.GetProperty("accessToken").GetString()));
    }

    private async Task<JsonElement> Json(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        Assert.True(response.StatusCode == expected, await Describe(response));
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<string> Describe(HttpResponseMessage response) =>
        $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} → {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{_function.Output}";

    private sealed record LoggedInUser(ECDsa Key, Guid Id, HttpClient Http) : IDisposable
    {
        public void Dispose()
        {
            Http.Dispose();
            Key.Dispose();
        }
    }
}
