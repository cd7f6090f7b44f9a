using Lilium.Auth;

namespace Lilium.Relay.Auth;

/// <summary>
/// Finds the relay's HMAC key, and only that: <c>RELAY_KEY</c> (base64), or a relay-only secret — the JSON
/// <c>{"relayKey":"…"}</c> in <c>RELAY_SECRET</c> (or, under its older name, <c>TOKEN_KEYS</c>). A secret that also
/// holds the access or refresh key, or a seed they derive from, is refused: a relay must never be able to mint a
/// user's access or refresh token (docs/security.md).
/// </summary>
public static class RelayKeyLoader
{
    public static TokenCodec Load(IConfiguration configuration)
    {
        var raw = configuration["RELAY_KEY"];
        if (!string.IsNullOrWhiteSpace(raw))
        {
            return FromBase64(raw, "RELAY_KEY");
        }

        foreach (var name in (ReadOnlySpan<string>)["RELAY_SECRET", "TOKEN_KEYS"])
        {
            if (configuration[name] is { Length: > 0 } json)
            {
                return FromSecret(json, name);
            }
        }

        throw new InvalidOperationException("No relay key: set RELAY_KEY (base64) or RELAY_SECRET ({\"relayKey\":\"…\"}).");
    }

    private static TokenCodec FromSecret(string json, string name)
    {
        var key = TokenKeys.TryParseRelaySecret(json, out var userKey);
        if (userKey is not null)
        {
            throw new InvalidOperationException(
                $"{name} holds '{userKey}': the relay takes a relay-only secret ({{\"relayKey\":\"…\"}}) or RELAY_KEY, never the keys that sign users' tokens.");
        }

        return key is not null
            ? FromBase64(key, name + ".relayKey")
            : throw new InvalidOperationException($"{name} must be the JSON {{\"relayKey\":\"<base64 of at least 32 bytes>\"}}.");
    }

    private static TokenCodec FromBase64(string raw, string name)
    {
        var buffer = new byte[raw.Length];
        if (!Convert.TryFromBase64String(raw.Trim(), buffer, out var n) || n < 32)
        {
            throw new InvalidOperationException($"{name} must be base64 of at least 32 bytes.");
        }

        return new TokenCodec(TokenKind.Relay, buffer.AsSpan(0, n));
    }
}
