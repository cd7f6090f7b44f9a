namespace Lilium.Api.Contracts;

/// <summary>Names the user who wants to log in: by id, or by public key (base64 SPKI). Exactly one.</summary>
public sealed record ChallengeRequest(Guid? UserId = null, string? PublicKey = null);

/// <param name="SignedData">Base64 of the exact bytes to sign with ECDSA P-256 / SHA-256:
/// <c>"lilium-auth-v1:" ‖ challengeId (16 bytes, big-endian) ‖ nonce</c>.</param>
public sealed record ChallengeResponse(Guid ChallengeId, Guid UserId, string Nonce, string SignedData, DateTimeOffset ExpiresAt);

/// <param name="Signature">Base64 ECDSA signature over the challenge's signed data: IEEE P1363 (64 bytes) or DER.</param>
public sealed record TokenRequest(Guid ChallengeId, string Signature);

public sealed record RefreshRequest(string RefreshToken);

public sealed record TokenResponse(
    string TokenType,
    string AccessToken,
    DateTimeOffset AccessTokenExpiresAt,
    string RefreshToken,
    DateTimeOffset RefreshTokenExpiresAt,
    Guid UserId);
