namespace Lilium.Api.Contracts;

/// <param name="PublicKey">Base64 SubjectPublicKeyInfo DER of an ECDSA P-256 key.</param>
/// <param name="Nickname">1–32 characters after NFC; see docs/api.md for the rules.</param>
public sealed record CreateUserRequest(string PublicKey, string Nickname);

/// <param name="Fingerprint">Lower-case hex SHA-256 of the public key's SPKI DER.</param>
public sealed record UserResponse(Guid Id, string Nickname, string Fingerprint, string PublicKey, DateTimeOffset CreatedAt);
