using Lilium.Api.Contracts;
using Lilium.Auth;
using Lilium.Data.Auth;
using Lilium.Data.Users;

namespace Lilium.Api.Security;

/// <summary>The deployment's three token codecs, and the access + refresh pair a login or refresh returns.</summary>
internal sealed class TokenService(TokenKeys keys, TimeProvider time)
{
    public static readonly TimeSpan AccessLifetime = TimeSpan.FromMinutes(15);

    public TokenCodec Access { get; } = keys.AccessCodec(time);

    public TokenCodec Refresh { get; } = keys.RefreshCodec(time);

    public TokenCodec Relay { get; } = keys.RelayCodec(time);

    public TokenCodec RelayService { get; } = keys.RelayServiceCodec(time);

    public TimeProvider Time => time;

    /// <summary>A new refresh token id (the family stores the newest one).</summary>
    public static string NewTokenId() => Guid.NewGuid().ToString("N");

    public TokenResponse IssuePair(User user, Guid family, string refreshTokenId)
    {
        var now = time.GetUtcNow();
        var iat = now.ToUnixTimeSeconds();
        var accessExp = iat + (long)AccessLifetime.TotalSeconds;
        var refreshExp = iat + (long)RefreshFamilyRepository.TokenLifetime.TotalSeconds;
        var access = Access.Issue(new AccessClaims { Subject = user.Id, IssuedAt = iat, ExpiresAt = accessExp, Nickname = user.Nickname });
        var refresh = Refresh.Issue(new RefreshClaims { Subject = user.Id, IssuedAt = iat, ExpiresAt = refreshExp, Family = family, Id = refreshTokenId });
        return new TokenResponse(
            "Bearer",
            access,
            DateTimeOffset.FromUnixTimeSeconds(accessExp),
            refresh,
            DateTimeOffset.FromUnixTimeSeconds(refreshExp),
            user.Id);
    }
}
