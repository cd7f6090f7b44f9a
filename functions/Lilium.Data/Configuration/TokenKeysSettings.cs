using Lilium.Auth;

namespace Lilium.Data.Configuration;

/// <summary>
/// Resolves the token signing keys: <c>TOKEN_KEYS</c> (the <see cref="TokenKeys"/> JSON) &gt;
/// <c>TOKEN_KEYS_SECRET_ARN</c> (a Secrets Manager secret holding that JSON) &gt; fresh keys, but
/// only when <paramref name="allowGenerated"/> (Development): generated keys die with the process.
/// </summary>
public static class TokenKeysSettings
{
    public static async Task<TokenKeys> ResolveAsync(
        Func<string, string?> variable,
        ISecretReader? secrets,
        bool allowGenerated,
        CancellationToken cancellationToken = default)
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
