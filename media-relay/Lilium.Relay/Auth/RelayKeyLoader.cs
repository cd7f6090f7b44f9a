using System.Text.Json;
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
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"{name} must be the JSON {{\"relayKey\":\"<base64>\"}}.");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidOperationException($"{name} must be the JSON {{\"relayKey\":\"<base64>\"}}.");
            }

            foreach (var forbidden in (ReadOnlySpan<string>)["accessKey", "refreshKey", "seed"])
            {
                if (document.RootElement.TryGetProperty(forbidden, out _))
                {
                    throw new InvalidOperationException(
                        $"{name} holds '{forbidden}': the relay takes a relay-only secret ({{\"relayKey\":\"…\"}}) or RELAY_KEY, never the keys that sign users' tokens.");
                }
            }

            return document.RootElement.TryGetProperty("relayKey", out var key) && key.ValueKind == JsonValueKind.String
                ? FromBase64(key.GetString()!, name + ".relayKey")
                : throw new InvalidOperationException($"{name} has no 'relayKey'.");
        }
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
