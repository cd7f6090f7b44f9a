using Lilium.Auth;

namespace Lilium.Data.Configuration;

/// <summary>
/// Resolves the token signing keys: <c>TOKEN_KEYS</c> (the <see cref="TokenKeys"/> JSON) &gt;
/// <c>TOKEN_KEYS_SECRET_ARN</c> (a Secrets Manager secret holding that JSON) &gt; fresh keys, but
/// only when <paramref name="allowGenerated"/> (Development): generated keys die with the process.
/// When <c>RELAY_KEY_SECRET_ARN</c> names the relay's own secret (<c>{"relayKey":"&lt;base64&gt;"}</c>, the one the
/// relay task receives), relay grants are signed with that key instead (docs/security.md, D19).
/// </summary>
public static class TokenKeysSettings
{
    public static async Task<TokenKeys> ResolveAsync(
        Func<string, string?> variable,
        ISecretReader? secrets,
        bool allowGenerated,
        CancellationToken cancellationToken = default)
    {
        var keys = await ResolveUserKeysAsync(variable, secrets, allowGenerated, cancellationToken);
        if (variable("RELAY_KEY_SECRET_ARN") is not { Length: > 0 } relayArn)
        {
            return keys;
        }

        if (secrets is null)
        {
            throw new ConfigurationException("RELAY_KEY_SECRET_ARN is set but no secret reader is available.");
        }

        return keys with
        {
            RelayKey = TokenKeys.TryParseRelaySecret(await secrets.GetSecretStringAsync(relayArn, cancellationToken), out _)
                ?? throw new ConfigurationException("The RELAY_KEY_SECRET_ARN secret is not {\"relayKey\":\"<base64 of at least 32 bytes>\"}."),
        };
    }

    private static async Task<TokenKeys> ResolveUserKeysAsync(
        Func<string, string?> variable,
        ISecretReader? secrets,
        bool allowGenerated,
        CancellationToken cancellationToken)
    {
        if (variable("TOKEN_KEYS") is { Length: > 0 } json)
        {
            return TokenKeys.TryParse(json) ?? throw new ConfigurationException(
                "TOKEN_KEYS is not a valid key set: {\"accessKey\",\"refreshKey\",\"relayKey\"}, each base64 of at least 32 bytes.");
        }

        if (variable("TOKEN_KEYS_SECRET_ARN") is { Length: > 0 } arn)
        {
            if (secrets is null)
            {
                throw new ConfigurationException("TOKEN_KEYS_SECRET_ARN is set but no secret reader is available.");
            }

            return TokenKeys.TryParse(await secrets.GetSecretStringAsync(arn, cancellationToken))
                ?? throw new ConfigurationException("The TOKEN_KEYS_SECRET_ARN secret is not a valid key set.");
        }

        return allowGenerated
            ? TokenKeys.Generate()
            : throw new ConfigurationException("No token keys: set TOKEN_KEYS or TOKEN_KEYS_SECRET_ARN (generated keys are allowed only in Development).");
    }
}
