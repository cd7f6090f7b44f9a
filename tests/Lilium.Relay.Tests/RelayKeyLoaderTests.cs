using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay.Auth;
using Microsoft.Extensions.Configuration;

namespace Lilium.Relay.Tests;

/// <summary>Issue 23, keys: the relay holds the relay-grant key and nothing that signs users' access or refresh tokens.</summary>
[Trait("Category", "Unit")]
public sealed class RelayKeyLoaderTests
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void A_relay_only_secret_or_key_is_accepted_and_verifies_the_control_planes_grants()
    {
        var keys = TokenKeys.Generate();
        var grant = keys.RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = Guid.NewGuid(),
            IssuedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds(),
            SessionId = Guid.NewGuid(),
            Role = RelayRole.Viewer,
            Permissions = InputPermissions.None,
        });
        foreach (var config in new[] { Config(("RELAY_KEY", keys.RelayKey)), Config(("RELAY_SECRET", $$"""{"relayKey":"{{keys.RelayKey}}"}""")) })
        {
            Assert.Equal(TokenError.None, RelayKeyLoader.Load(config).TryRead(grant, out RelayGrantClaims? _));
        }
    }

    [Fact]
    public void A_secret_holding_the_user_token_keys_or_their_seed_is_refused()
    {
        var keys = TokenKeys.Generate();
        var full = Assert.Throws<InvalidOperationException>(() => RelayKeyLoader.Load(Config(("TOKEN_KEYS", keys.ToJson()))));
        Assert.Contains("accessKey", full.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => RelayKeyLoader.Load(Config(("RELAY_SECRET", """{"seed":"0123456789012345678901234567890123456789abcdef"}"""))));
        Assert.Throws<InvalidOperationException>(() => RelayKeyLoader.Load(Config(("RELAY_SECRET", $$"""{"relayKey":"{{keys.RelayKey}}","refreshKey":"{{keys.RefreshKey}}"}"""))));
        Assert.Throws<InvalidOperationException>(() => RelayKeyLoader.Load(Config(("RELAY_SECRET", "not json"))));
        Assert.Throws<InvalidOperationException>(() => RelayKeyLoader.Load(Config(("RELAY_KEY", "c2hvcnQ="))));
        Assert.Throws<InvalidOperationException>(() => RelayKeyLoader.Load(Config()));
    }
}
