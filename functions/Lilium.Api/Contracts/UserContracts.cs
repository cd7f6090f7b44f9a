namespace Lilium.Api.Contracts;

/// <param name="PublicKey">Base64 SubjectPublicKeyInfo DER of an ECDSA P-256 key.</param>
/// <param name="Nickname">1–32 characters after NFC; see docs/api.md for the rules.</param>
/// <param name="Timestamp">Unix seconds, signed with the key (<see cref="Lilium.Protocol.RegistrationProof"/>).</param>
/// <param name="Signature">Base64 ECDSA P-256 signature (P1363 r‖s or DER) of the registration proof.</param>
public sealed record CreateUserRequest(string PublicKey, string Nickname, long? Timestamp = null, string? Signature = null);

/// <param name="Fingerprint">Lower-case hex SHA-256 of the public key's SPKI DER.</param>
public sealed record UserResponse(Guid Id, string Nickname, string Fingerprint, string PublicKey, DateTimeOffset CreatedAt);
