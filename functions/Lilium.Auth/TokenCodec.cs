using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Lilium.Auth;

/// <summary>Why a token was refused.</summary>
public enum TokenError
{
    None,
    Malformed,
    BadSignature,
    WrongKind,
    Expired,
    NotYetValid,
}

/// <summary>
/// Compact HMAC-SHA256 signed tokens: <c>lt1.{kind}.{base64url(json)}.{base64url(mac)}</c>.
/// The MAC covers everything before the last dot. One codec instance holds the key of one
/// <see cref="TokenKind"/>; a token of another kind, even signed with the same key, is refused,
/// so an access token can never be replayed as a relay grant.
/// </summary>
public sealed class TokenCodec
{
    private const string Prefix = "lt1";
    private const int MaxTokenLength = 4096;
    private static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    private readonly byte[] _key;
    private readonly TokenKind _kind;
    private readonly TimeProvider _time;

    public TokenCodec(TokenKind kind, ReadOnlySpan<byte> key, TimeProvider? time = null)
    {
        if (key.Length < 32)
        {
            throw new ArgumentException("A token key must be at least 32 bytes.", nameof(key));
        }

        _kind = kind;
        _key = key.ToArray();
        _time = time ?? TimeProvider.System;
    }

    public TokenKind Kind => _kind;

    /// <summary>A codec of another kind over the same key (the relay signs its feed credential with its grant key).</summary>
    public TokenCodec WithKind(TokenKind kind) => new(kind, _key, _time);

    public TimeProvider Time => _time;

    public string Issue(AccessClaims claims) => Issue(claims, TokenJsonContext.Default.AccessClaims);

    public string Issue(RefreshClaims claims) => Issue(claims, TokenJsonContext.Default.RefreshClaims);

    public string Issue(RelayGrantClaims claims) => Issue(claims, TokenJsonContext.Default.RelayGrantClaims);

    public string Issue(RelayServiceClaims claims) => Issue(claims, TokenJsonContext.Default.RelayServiceClaims);

    public TokenError TryRead(string? token, out RelayServiceClaims? claims) =>
        TryRead(token, TokenJsonContext.Default.RelayServiceClaims, out claims);

    public TokenError TryRead(string? token, out AccessClaims? claims) =>
        TryRead(token, TokenJsonContext.Default.AccessClaims, out claims);

    public TokenError TryRead(string? token, out RefreshClaims? claims) =>
        TryRead(token, TokenJsonContext.Default.RefreshClaims, out claims);

    public TokenError TryRead(string? token, out RelayGrantClaims? claims) =>
        TryRead(token, TokenJsonContext.Default.RelayGrantClaims, out claims);

    private string Issue<T>(T claims, JsonTypeInfo<T> info) where T : TokenClaims
    {
        if (claims.Kind != _kind)
        {
            throw new InvalidOperationException($"This codec issues {_kind} tokens, not {claims.Kind}.");
        }

        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims, info));
        var signed = $"{Prefix}.{KindTag(_kind)}.{payload}";
        return $"{signed}.{Base64Url(Mac(signed))}";
    }

    private TokenError TryRead<T>(string? token, JsonTypeInfo<T> info, out T? claims) where T : TokenClaims
    {
        claims = null;
        if (string.IsNullOrEmpty(token) || token.Length > MaxTokenLength)
        {
            return TokenError.Malformed;
        }

        var lastDot = token.LastIndexOf('.');
        var parts = token.Split('.');
        if (parts.Length != 4 || parts[0] != Prefix || lastDot <= 0)
        {
            return TokenError.Malformed;
        }

        if (parts[1] != KindTag(_kind))
        {
            return Enum.GetValues<TokenKind>().Any(k => KindTag(k) == parts[1]) ? TokenError.WrongKind : TokenError.Malformed;
        }

        if (!TryDecodeBase64Url(parts[3], out var mac) || mac.Length != HMACSHA256.HashSizeInBytes)
        {
            return TokenError.Malformed;
        }

        if (!CryptographicOperations.FixedTimeEquals(mac, Mac(token.AsSpan(0, lastDot))))
        {
            return TokenError.BadSignature;
        }

        if (!TryDecodeBase64Url(parts[2], out var json))
        {
            return TokenError.Malformed;
        }

        T? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(json, info);
        }
        catch (JsonException)
        {
            return TokenError.Malformed;
        }

        if (parsed is null)
        {
            return TokenError.Malformed;
        }

        var now = _time.GetUtcNow();
        if (DateTimeOffset.FromUnixTimeSeconds(parsed.ExpiresAt) <= now - ClockSkew)
        {
            return TokenError.Expired;
        }

        if (DateTimeOffset.FromUnixTimeSeconds(parsed.IssuedAt) > now + ClockSkew)
        {
            return TokenError.NotYetValid;
        }

        claims = parsed;
        return TokenError.None;
    }

    private static string KindTag(TokenKind kind) => kind switch
    {
        TokenKind.Access => "a",
        TokenKind.Refresh => "r",
        TokenKind.Relay => "g",
        TokenKind.RelayService => "s",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private byte[] Mac(ReadOnlySpan<char> signed)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.ASCII.GetMaxByteCount(signed.Length));
        try
        {
            var n = Encoding.ASCII.GetBytes(signed, bytes);
            return HMACSHA256.HashData(_key, bytes.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static string Base64Url(ReadOnlySpan<byte> data) =>
        Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryDecodeBase64Url(string text, out byte[] data)
    {
        data = [];
        if (text.Length == 0 || text.Length > MaxTokenLength)
        {
            return false;
        }

        var s = text.Replace('-', '+').Replace('_', '/');
        s = (s.Length % 4) switch
        {
            2 => s + "==",
            3 => s + "=",
            0 => s,
            _ => string.Empty,
        };
        if (s.Length == 0)
        {
            return false;
        }

        var buffer = new byte[s.Length / 4 * 3];
        if (!Convert.TryFromBase64String(s, buffer, out var written))
        {
            return false;
        }

        data = buffer.AsSpan(0, written).ToArray();
        return true;
    }
}
