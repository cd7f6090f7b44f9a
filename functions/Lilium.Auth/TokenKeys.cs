using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Auth;

/// <summary>
/// The signing keys of a deployment, as stored in one Secrets Manager secret (JSON) or given
/// locally. Each key is base64 and at least 32 bytes. The relay key is the only one the media
/// relay holds.
/// </summary>
public sealed record TokenKeys(
    [property: JsonPropertyName("accessKey")] string AccessKey,
    [property: JsonPropertyName("refreshKey")] string RefreshKey,
    [property: JsonPropertyName("relayKey")] string RelayKey)
{
    public TokenCodec AccessCodec(TimeProvider? time = null) => new(TokenKind.Access, Convert.FromBase64String(AccessKey), time);

    public TokenCodec RefreshCodec(TimeProvider? time = null) => new(TokenKind.Refresh, Convert.FromBase64String(RefreshKey), time);

    public TokenCodec RelayCodec(TimeProvider? time = null) => new(TokenKind.Relay, Convert.FromBase64String(RelayKey), time);

    /// <summary>Fresh random keys, for a new deployment or a test.</summary>
    public static TokenKeys Generate() => new(NewKey(), NewKey(), NewKey());

    /// <summary>Parses the secret's JSON; returns null (never throws) if it is not a valid key set.</summary>
    public static TokenKeys? TryParse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            var keys = JsonSerializer.Deserialize(json, TokenKeysJsonContext.Default.TokenKeys);
            return keys is not null && IsKey(keys.AccessKey) && IsKey(keys.RefreshKey) && IsKey(keys.RelayKey) ? keys : null;
        }
        catch (JsonException)
        {
            return null;
        }
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

[JsonSerializable(typeof(TokenKeys))]
internal sealed partial class TokenKeysJsonContext : JsonSerializerContext;
