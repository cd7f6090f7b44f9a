using Lilium.Auth;

namespace Lilium.Relay.Auth;

/// <summary>
/// Finds the relay's HMAC key: <c>RELAY_KEY</c> (base64) or the <c>relayKey</c> of the TokenKeys
/// JSON in <c>TOKEN_KEYS</c> (the shape of the Secrets Manager secret ECS injects).
/// </summary>
public static class RelayKeyLoader
{
    public static TokenCodec Load(IConfiguration configuration)
    {
        var raw = configuration["RELAY_KEY"];
        if (!string.IsNullOrWhiteSpace(raw))
        {
            var buffer = new byte[raw.Length];
            if (!Convert.TryFromBase64String(raw.Trim(), buffer, out var n) || n < 32)
            {
                throw new InvalidOperationException("RELAY_KEY must be base64 of at least 32 bytes.");
            }

            return new TokenCodec(TokenKind.Relay, buffer.AsSpan(0, n));
        }

        var keys = TokenKeys.TryParse(configuration["TOKEN_KEYS"])
            ?? throw new InvalidOperationException("No relay key: set RELAY_KEY (base64) or TOKEN_KEYS (TokenKeys JSON).");
        return keys.RelayCodec();
    }
}
