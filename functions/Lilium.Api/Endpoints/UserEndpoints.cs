using Lilium.Api.Contracts;
using Lilium.Api.Infrastructure;
using Lilium.Api.Security;
using Lilium.Data.Users;
using Lilium.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lilium.Api.Endpoints;

internal static class UserEndpoints
{
    private const int SearchLimit = 20;

    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/users", Register).AllowAnonymous().RequireRateLimiting(AuthRateLimiter.IpPolicy)
            .WithSummary("Register a public key and nickname (idempotent for the same key).");
        var users = app.MapGroup("/v1/users").RequireAuthorization();
        users.MapGet("/me", Me).WithSummary("The authenticated user.");
        users.MapGet("/{id:guid}", Get).WithSummary("A user by id.");
        users.MapGet("/", Search).WithSummary("Search users by nickname prefix or by key fingerprint.");
    }

    private static async Task<Results<Created<UserResponse>, Ok<UserResponse>, ProblemHttpResult>> Register(
        CreateUserRequest request, UserRepository users, TimeProvider time, CancellationToken ct)
    {
        if (!UserKey.TryParse(request.PublicKey, out var key) || key is null)
        {
            return Problems.Of(ErrorCode.InvalidPublicKey, "publicKey must be base64 SubjectPublicKeyInfo DER of an ECDSA P-256 key.");
        }

        var (nickname, error) = await users.NormalizeNicknameAsync(request.Nickname, ct);
        if (nickname is null)
        {
            return Problems.Of(ErrorCode.InvalidNickname, error!);
        }

        // Proof of key ownership: only the holder of the private key registers it (docs/security.md).
        if (request.Timestamp is not { } timestamp || Base64Field.TryDecode(request.Signature, 128) is not { } signature)
        {
            return Problems.Of(ErrorCode.BadRequest, "timestamp (Unix seconds) and signature (base64) must prove you hold the key: sign \"lilium-register\\n{publicKey}\\n{nickname}\\n{timestamp}\".");
        }

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)RegistrationProof.MaxSkew.TotalSeconds;
        if (timestamp < now - skew || timestamp > now + skew)
        {
            return Problems.Of(ErrorCode.ClockSkew, $"timestamp is more than {RegistrationProof.MaxSkew.TotalMinutes:0} minutes from the server's clock; set your clock and sign again.");
        }

        if (!key.Verify(RegistrationProof.Message(request.PublicKey, request.Nickname, timestamp), signature))
        {
            return Problems.Of(ErrorCode.InvalidSignature, "The signature does not verify with the public key being registered.");
        }

        var (user, created) = await users.RegisterAsync(key, nickname, time.GetUtcNow(), ct);
        return created
            ? TypedResults.Created($"/v1/users/{user.Id}", user.ToResponse())
            : TypedResults.Ok(user.ToResponse());
    }

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Me(HttpContext context, UserRepository users, CancellationToken ct) =>
        await users.GetAsync(context.User.UserId(), ct) is { } user
            ? TypedResults.Ok(user.ToResponse())
            : Problems.Of(ErrorCode.UserNotFound, "The token's user no longer exists.");

    private static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Get(Guid id, UserRepository users, CancellationToken ct) =>
        await users.GetAsync(id, ct) is { } user
            ? TypedResults.Ok(user.ToResponse())
            : Problems.Of(ErrorCode.UserNotFound, "No user has this id.");

    private static async Task<Results<Ok<UserResponse[]>, ProblemHttpResult>> Search(
        string? nickname, string? fingerprint, UserRepository users, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(fingerprint))
        {
            var fp = fingerprint.Trim().ToLowerInvariant();
            if (fp.Length != 64 || !fp.All(char.IsAsciiHexDigitLower))
            {
                return Problems.Of(ErrorCode.InvalidFingerprint, "fingerprint must be 64 hex characters (SHA-256 of the SPKI).");
            }

            return TypedResults.Ok(await users.GetByFingerprintAsync(fp, ct) is { } u ? [u.ToResponse()] : Array.Empty<UserResponse>());
        }

        if (string.IsNullOrEmpty(nickname))
        {
            return Problems.Of(ErrorCode.MissingQuery, "Give ?nickname=<prefix> or ?fingerprint=<hex>.");
        }

        if ((await users.NormalizeNicknameAsync(nickname, ct)).Nickname is not { } prefix)
        {
            return TypedResults.Ok(Array.Empty<UserResponse>()); // No valid nickname starts with invalid text.
        }

        var found = await users.SearchByNicknameAsync(prefix, SearchLimit, ct);
        return TypedResults.Ok(found.Select(u => u.ToResponse()).ToArray());
    }
}
