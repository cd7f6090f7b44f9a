using System.Text;
using Lilium.Auth;
using Lilium.Protocol;

namespace Lilium.Auth.Tests;

[Trait("Category", "Unit")]
public sealed class TokenCodecTests
{
    private static readonly byte[] Key = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static AccessClaims Access(DateTimeOffset now, TimeSpan life) => new()
    {
        Subject = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        Nickname = "ada",
        IssuedAt = now.ToUnixTimeSeconds(),
        ExpiresAt = (now + life).ToUnixTimeSeconds(),
    };

    [Fact]
    public void Round_trips_access_claims()
    {
        var time = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var codec = new TokenCodec(TokenKind.Access, Key, time);
        var token = codec.Issue(Access(time.Now, TimeSpan.FromMinutes(15)));

        Assert.StartsWith("lt1.a.", token);
        Assert.Equal(TokenError.None, codec.TryRead(token, out AccessClaims? claims));
        Assert.Equal("ada", claims!.Nickname);
        Assert.Equal(Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"), claims.Subject);
    }

    [Fact]
    public void Refuses_expired_tokens_after_the_skew()
    {
        var time = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var codec = new TokenCodec(TokenKind.Access, Key, time);
        var token = codec.Issue(Access(time.Now, TimeSpan.FromMinutes(1)));

        time.Now += TimeSpan.FromSeconds(89);
        Assert.Equal(TokenError.None, codec.TryRead(token, out AccessClaims? _));
        time.Now += TimeSpan.FromSeconds(2);
        Assert.Equal(TokenError.Expired, codec.TryRead(token, out AccessClaims? _));
    }

    [Fact]
    public void Refuses_a_token_signed_with_another_key()
    {
        var other = new TokenCodec(TokenKind.Access, Encoding.ASCII.GetBytes("ffffffffffffffffffffffffffffffff"));
        var token = other.Issue(Access(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        var codec = new TokenCodec(TokenKind.Access, Key);
        Assert.Equal(TokenError.BadSignature, codec.TryRead(token, out AccessClaims? _));
    }

    [Fact]
    public void Refuses_an_access_token_presented_as_a_relay_grant_even_with_the_same_key()
    {
        var access = new TokenCodec(TokenKind.Access, Key);
        var relay = new TokenCodec(TokenKind.Relay, Key);
        var token = access.Issue(Access(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Equal(TokenError.WrongKind, relay.TryRead(token, out RelayGrantClaims? _));

        // Re-labelling the kind breaks the MAC.
        var relabelled = "lt1.g." + token["lt1.a.".Length..];
        Assert.Equal(TokenError.BadSignature, relay.TryRead(relabelled, out RelayGrantClaims? _));
    }

    [Fact]
    public void A_relay_service_credential_and_a_relay_grant_never_pass_for_each_other()
    {
        // Issue 23: the relay signs its revocations-feed credential with the relay key; the kind keeps it apart.
        var grants = new TokenCodec(TokenKind.Relay, Key);
        var service = grants.WithKind(TokenKind.RelayService);
        var now = DateTimeOffset.UtcNow;
        var credential = service.Issue(new RelayServiceClaims { Subject = Guid.NewGuid(), IssuedAt = now.ToUnixTimeSeconds(), ExpiresAt = now.AddMinutes(5).ToUnixTimeSeconds() });
        Assert.Equal(TokenError.None, service.TryRead(credential, out RelayServiceClaims? _));
        Assert.Equal(TokenError.WrongKind, grants.TryRead(credential, out RelayGrantClaims? _));
        var grant = grants.Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.AddMinutes(5).ToUnixTimeSeconds(),
            SessionId = Guid.NewGuid(),
            Role = RelayRole.Host,
        });
        Assert.Equal(TokenError.WrongKind, service.TryRead(grant, out RelayServiceClaims? _));
    }

    [Fact]
    public void Relay_grants_carry_session_role_and_permissions()
    {
        var codec = new TokenCodec(TokenKind.Relay, Key);
        var now = DateTimeOffset.UtcNow;
        var sid = Guid.NewGuid();
        var token = codec.Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            SessionId = sid,
            Role = RelayRole.Viewer,
            Permissions = InputPermissions.Keyboard | InputPermissions.Mouse,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.AddMinutes(5).ToUnixTimeSeconds(),
        });

        Assert.Equal(TokenError.None, codec.TryRead(token, out RelayGrantClaims? grant));
        Assert.Equal(sid, grant!.SessionId);
        Assert.Equal(RelayRole.Viewer, grant.Role);
        Assert.Equal(InputPermissions.Keyboard | InputPermissions.Mouse, grant.Permissions);
    }

    [Fact]
    public void A_relay_grant_names_its_relay_and_an_older_grant_names_none()
    {
        // Issue 24: the grant's rid routes a WHIP/WHEP request to the relay owning the session.
        var codec = new TokenCodec(TokenKind.Relay, Key);
        var now = DateTimeOffset.UtcNow;
        var claims = new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            SessionId = Guid.NewGuid(),
            Role = RelayRole.Host,
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.AddMinutes(5).ToUnixTimeSeconds(),
        };
        Assert.Equal(TokenError.None, codec.TryRead(codec.Issue(claims with { RelayId = "local-2" }), out RelayGrantClaims? named));
        Assert.Equal("local-2", named!.RelayId);

        var anyRelay = codec.Issue(claims);
        Assert.Equal(TokenError.None, codec.TryRead(anyRelay, out RelayGrantClaims? unnamed));
        Assert.Null(unnamed!.RelayId);
        // Not written when null: grants of single-relay setups are byte for byte what they were.
        var payload = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(Pad(anyRelay.Split('.')[2].Replace('-', '+').Replace('_', '/'))));
        Assert.DoesNotContain("\"rid\"", payload, StringComparison.Ordinal);
    }

    private static string Pad(string base64) => base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("lt1")]
    [InlineData("lt1.a")]
    [InlineData("lt1.a.x.y")]
    [InlineData("lt1.a.!!!.AAAA")]
    [InlineData("lt1.z.e30.AAAA")]
    [InlineData("lt2.a.e30.AAAA")]
    [InlineData("lt1.a.e30.AAAA.extra")]
    [InlineData("lt1.a.e30.A")]
    [InlineData("lt1..e30.AAAA")]
    [InlineData("lt1.a.\u00e9\u00e9.AAAA")]
    public void Never_throws_on_hostile_input(string? token)
    {
        var codec = new TokenCodec(TokenKind.Access, Key);
        var error = codec.TryRead(token, out AccessClaims? claims);
        Assert.NotEqual(TokenError.None, error);
        Assert.Null(claims);
    }

    [Fact]
    public void A_validly_signed_payload_that_is_not_json_is_malformed_not_a_crash()
    {
        var codec = new TokenCodec(TokenKind.Access, Key);
        var payload = Convert.ToBase64String("not json"u8.ToArray()).TrimEnd('=');
        var signed = "lt1.a." + payload;
        var mac = System.Security.Cryptography.HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(signed));
        var token = signed + "." + Convert.ToBase64String(mac).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.Equal(TokenError.Malformed, codec.TryRead(token, out AccessClaims? _));
    }

    [Fact]
    public void Short_keys_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new TokenCodec(TokenKind.Access, new byte[16]));
    }

    [Fact]
    public void Key_sets_round_trip_and_bad_json_is_null()
    {
        var keys = TokenKeys.Generate();
        Assert.Equal(keys, TokenKeys.TryParse(keys.ToJson()));
        Assert.Null(TokenKeys.TryParse("{"));
        Assert.Null(TokenKeys.TryParse("""{"accessKey":"c2hvcnQ=","refreshKey":"c2hvcnQ=","relayKey":"c2hvcnQ="}"""));
        Assert.Null(TokenKeys.TryParse(null));
    }

    [Fact]
    public void A_generated_seed_stands_for_three_hkdf_keys()
    {
        // The shape Secrets Manager's GenerateSecretString makes in the stack (docs/infra.md); the expected keys
        // were computed with Python's hmac/hashlib (RFC 5869 HKDF-SHA256, salt "lilium-token-keys/1", info = purpose).
        var keys = TokenKeys.TryParse("""{"generated":true,"seed":"Lilium0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"}""");
        Assert.NotNull(keys);
        Assert.Equal("TGxf796o1tBZr+N0KUi56DUWzGFLVPTqFj+j976pV10=", keys.AccessKey);
        Assert.Equal("2zWejBcDJppdSpTo+sZ+G7ffvlV6uC0PUL9jI+1SjQA=", keys.RefreshKey);
        Assert.Equal("8seqZfP0/Tn4FzWdRmigLz2IhE3H1pCs9P1XNoloVno=", keys.RelayKey);
    }

    [Fact]
    public void Short_or_missing_seeds_and_partial_key_sets_are_refused()
    {
        Assert.Null(TokenKeys.TryParse("""{"generated":true,"seed":"tooShort"}"""));
        Assert.Null(TokenKeys.TryParse("""{"generated":true}"""));
        Assert.Null(TokenKeys.TryParse("""{"seed":42}"""));
        Assert.Null(TokenKeys.TryParse("[]"));
        var generated = TokenKeys.Generate();

        // An explicit but incomplete key set is an operator's mistake: refused even when a seed is present.
        Assert.Null(TokenKeys.TryParse($$"""{"accessKey":"{{generated.AccessKey}}","seed":"{{new string('x', 64)}}"}"""));
        Assert.Equal(generated, TokenKeys.TryParse($$"""{"accessKey":"{{generated.AccessKey}}","refreshKey":"{{generated.RefreshKey}}","relayKey":"{{generated.RelayKey}}","seed":"{{new string('x', 64)}}"}"""));
    }
}
