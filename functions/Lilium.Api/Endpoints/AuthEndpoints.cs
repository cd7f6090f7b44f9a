using System.Security.Cryptography;
using Lilium.Api.Contracts;
using Lilium.Api.Infrastructure;
using Lilium.Api.Security;
using Lilium.Auth;
using Lilium.Data.Auth;
using Lilium.Data.Users;
using Lilium.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lilium.Api.Endpoints;

/// <summary>
/// Login by challenge and signature, then refresh with rotation:
/// challenge (nonce, 60 s, single use) → token (ECDSA P-256 signature over it) → access 15 min + refresh 30 days.
/// </summary>
internal static class AuthEndpoints
{
    public static void MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/v1/auth").AllowAnonymous().RequireRateLimiting(AuthRateLimiter.IpPolicy);
        auth.MapPost("/challenge", Challenge).WithSummary("Get a single-use login nonce (60 s).");
        auth.MapPost("/token", Token).WithSummary("Trade a signed challenge for an access and a refresh token.");
        auth.MapPost("/refresh", Refresh).WithSummary("Rotate a refresh token; replaying an old one revokes the login.");
        app.MapPost("/v1/auth/logout", Logout).RequireAuthorization()
            .WithSummary("End this login: its refresh tokens stop working, the user's media peers are dropped and their WebSockets closed.");
    }

    private static async Task<Results<Ok<ChallengeResponse>, ProblemHttpResult>> Challenge(
        ChallengeRequest request, HttpContext context, UserRepository users, ChallengeRepository challenges, AuthRateLimiter limiter, TimeProvider time, CancellationToken ct)
    {
        User? user;
        if (request.UserId is { } id && request.PublicKey is null)
        {
            user = await users.GetAsync(id, ct);
        }
        else if (request.UserId is null && request.PublicKey is not null)
        {
            if (!UserKey.TryParse(request.PublicKey, out var key) || key is null)
            {
                return Problems.Of(ErrorCode.InvalidPublicKey, "publicKey must be base64 SubjectPublicKeyInfo DER of an ECDSA P-256 key.");
            }

            user = await users.GetByFingerprintAsync(key.Fingerprint, ct);
        }
        else
        {
            return Problems.Of(ErrorCode.InvalidRequest, "Give exactly one of userId and publicKey.");
        }

        if (user is null)
        {
            return Problems.Of(ErrorCode.UserNotFound, "No user is registered with this id or key.");
        }

        var now = time.GetUtcNow();
        var challenge = new AuthChallenge(Guid.NewGuid(), user.Id, RandomNumberGenerator.GetBytes(32), now + AuthChallenge.Lifetime);
        await challenges.CreateAsync(challenge, now, ct);
        return TypedResults.Ok(new ChallengeResponse(
            challenge.Id, user.Id, Convert.ToBase64String(challenge.Nonce), Convert.ToBase64String(challenge.SignedData()), challenge.ExpiresAt));
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Token(
        TokenRequest request, HttpContext context, UserRepository users, ChallengeRepository challenges, RefreshFamilyRepository families,
        TokenService tokens, AuthRateLimiter limiter, CancellationToken ct)
    {
        var signature = Base64Field.TryDecode(request.Signature, 128);
        if (signature is null)
        {
            return Problems.Of(ErrorCode.BadRequest, "signature must be base64 (P1363 r‖s or DER).");
        }

        // Consumed before anything is checked: a challenge can be answered once, right or wrong.
        var challenge = await challenges.ConsumeAsync(request.ChallengeId, ct);
        var now = tokens.Time.GetUtcNow();
        if (challenge is null || challenge.ExpiresAt <= now)
        {
            return Problems.Of(ErrorCode.InvalidChallenge, "The challenge is unknown, used or expired; request a new one.");
        }

        if (limiter.Check(context, challenge.UserId) is { } limited)
        {
            return limited;
        }

        var user = await users.GetAsync(challenge.UserId, ct);
        if (user is null || !UserKey.TryFromSpki(user.PublicKey, out var key) || key is null || !key.Verify(challenge.SignedData(), signature))
        {
            limiter.TryAcquire(context, challenge.UserId); // only a failed proof counts against the user
            return Problems.Of(ErrorCode.InvalidSignature, "The signature does not verify with the user's public key.");
        }

        var family = Guid.NewGuid();
        var tokenId = TokenService.NewTokenId();
        await families.CreateAsync(family, user.Id, tokenId, now, ct);
        return TypedResults.Ok(tokens.IssuePair(user, family, tokenId));
    }

    private static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> Refresh(
        RefreshRequest request, HttpContext context, UserRepository users, RefreshFamilyRepository families, TokenService tokens, AuthRateLimiter limiter, CancellationToken ct)
    {
        var error = tokens.Refresh.TryRead(request.RefreshToken, out RefreshClaims? claims);
        if (error != TokenError.None || claims is null)
        {
            return Problems.Of(error == TokenError.Expired ? ErrorCode.TokenExpired : ErrorCode.InvalidToken, "The refresh token is not valid; log in again.");
        }

        if (limiter.TryAcquire(context, claims.Subject) is { } limited)
        {
            return limited;
        }

        var newTokenId = TokenService.NewTokenId();
        var rotation = await families.RotateAsync(claims.Family, claims.Subject, claims.Id, newTokenId, tokens.Time.GetUtcNow(), ct);
        if (rotation != RefreshRotation.Rotated)
        {
            return Problems.Of(
                rotation == RefreshRotation.ReuseDetected ? ErrorCode.RefreshReused : ErrorCode.RefreshRevoked,
                rotation == RefreshRotation.ReuseDetected
                    ? "This refresh token was already used; the login is revoked. Log in again."
                    : "The login was revoked; log in again.");
        }

        var user = await users.GetAsync(claims.Subject, ct);
        return user is null
            ? Problems.Of(ErrorCode.InvalidToken, "The user no longer exists.")
            : TypedResults.Ok(tokens.IssuePair(user, claims.Family, newTokenId));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Logout(
        RefreshRequest request, HttpContext context, RefreshFamilyRepository families, TokenService tokens, CancellationToken ct)
    {
        // The refresh token names the login (family); it must be the caller's own.
        var error = tokens.Refresh.TryRead(request.RefreshToken, out RefreshClaims? claims);
        if (error != TokenError.None || claims is null || claims.Subject != context.User.UserId())
        {
            return Problems.Of(ErrorCode.InvalidRequest, "refreshToken must be a refresh token of this user.");
        }

        await families.RevokeAsync(claims.Family, claims.Subject, tokens.Time.GetUtcNow(), ct); // idempotent
        return TypedResults.NoContent();
    }

}
