using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Auth;

/// <summary>
/// The signing keys of a deployment, as stored in one Secrets Manager secret (JSON) or given
/// locally. Each key is base64 and at least 32 bytes. The relay key is the only one the media
/// relay holds.
/// </summary>
/// <remarks>
/// The secret may instead hold a <c>seed</c>: a random string of at least <see cref="MinSeedLength"/>
/// characters, which is what Secrets Manager's <c>GenerateSecretString</c> can make at deploy time
/// (it cannot make base64 keys). The three keys are then HKDF-SHA256 expansions of the seed, one per
/// purpose, so a fresh deployment signs tokens without any seeding step and the API and the relay,
/// reading the same secret, agree. Explicit keys win when both are present.
/// </remarks>
public sealed record TokenKeys(
    [property: JsonPropertyName("accessKey")] string AccessKey,
    [property: JsonPropertyName("refreshKey")] string RefreshKey,
    [property: JsonPropertyName("relayKey")] string RelayKey)
{
    public TokenCodec AccessCodec(TimeProvider? time = null) => new(TokenKind.Access, Convert.FromBase64String(AccessKey), time);

    public TokenCodec RefreshCodec(TimeProvider? time = null) => new(TokenKind.Refresh, Convert.FromBase64String(RefreshKey), time);

    public TokenCodec RelayCodec(TimeProvider? time = null) => new(TokenKind.Relay, Convert.FromBase64String(RelayKey), time);

    /// <summary>Verifies the relay tasks' own credentials (revocations feed); same key as <see cref="RelayCodec"/>, another kind.</summary>
    public TokenCodec RelayServiceCodec(TimeProvider? time = null) => new(TokenKind.RelayService, Convert.FromBase64String(RelayKey), time);

    /// <summary>Fresh random keys, for a new deployment or a test.</summary>
    public static TokenKeys Generate() => new(NewKey(), NewKey(), NewKey());

    /// <summary>Shortest seed accepted: 43 alphanumeric characters carry more than 256 bits.</summary>
    public const int MinSeedLength = 43;

    /// <summary>
    /// Parses the secret's JSON (explicit keys, or a <c>seed</c> to derive them from); returns null
    /// (never throws) if it is neither.
    /// </summary>
    public static TokenKeys? TryParse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            var form = JsonSerializer.Deserialize(json, TokenKeysJsonContext.Default.SecretForm);
            if (form is null)
            {
                return null;
            }

            if (form.AccessKey is not null || form.RefreshKey is not null || form.RelayKey is not null)
            {
                return IsKey(form.AccessKey) && IsKey(form.RefreshKey) && IsKey(form.RelayKey)
                    ? new TokenKeys(form.AccessKey!, form.RefreshKey!, form.RelayKey!)
                    : null;
            }

            return form.Seed is { Length: >= MinSeedLength } seed ? FromSeed(seed) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Parses the relay's own secret, <c>{"relayKey":"&lt;base64 of at least 32 bytes&gt;"}</c>: its key, or null (never
    /// throws) when the JSON is not that. <paramref name="userKey"/> names a member that would let its holder mint users'
    /// tokens (<c>accessKey</c>, <c>refreshKey</c> or <c>seed</c>) when the JSON has one; a relay refuses such a secret.
    /// </summary>
    public static string? TryParseRelaySecret(string? json, out string? userKey)
    {
        userKey = null;
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            var form = JsonSerializer.Deserialize(json, TokenKeysJsonContext.Default.SecretForm);
            userKey = form switch
            {
                { AccessKey: not null } => "accessKey",
                { RefreshKey: not null } => "refreshKey",
                { Seed: not null } => "seed",
                _ => null,
            };
            return IsKey(form?.RelayKey) ? form!.RelayKey : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The keys a seed stands for: HKDF-SHA256 (RFC 5869) with a fixed salt and one label per key.</summary>
    public static TokenKeys FromSeed(string seed)
    {
        ArgumentException.ThrowIfNullOrEmpty(seed);
        var ikm = System.Text.Encoding.UTF8.GetBytes(seed);
        var salt = "lilium-token-keys/1"u8.ToArray();
        string Derive(string label) => Convert.ToBase64String(
            System.Security.Cryptography.HKDF.DeriveKey(System.Security.Cryptography.HashAlgorithmName.SHA256, ikm, 32, salt, System.Text.Encoding.ASCII.GetBytes(label)));
        return new TokenKeys(Derive("access"), Derive("refresh"), Derive("relay"));
    }

    public string ToJson() => JsonSerializer.Serialize(this, TokenKeysJsonContext.Default.TokenKeys);

    private static string NewKey() => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private static bool IsKey(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out var n) && n >= 32;
    }
}

/// <summary>What the secret may hold: explicit keys, or a seed (other members, such as <c>generated</c>, are ignored).</summary>
internal sealed record SecretForm(
    [property: JsonPropertyName("accessKey")] string? AccessKey,
    [property: JsonPropertyName("refreshKey")] string? RefreshKey,
    [property: JsonPropertyName("relayKey")] string? RelayKey,
    [property: JsonPropertyName("seed")] string? Seed);

[JsonSerializable(typeof(TokenKeys))]
[JsonSerializable(typeof(SecretForm))]
internal sealed partial class TokenKeysJsonContext : JsonSerializerContext;
