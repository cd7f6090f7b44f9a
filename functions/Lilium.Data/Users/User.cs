namespace Lilium.Data.Users;

/// <summary>A registered user: an ECDSA P-256 public key (SPKI DER) and a nickname.</summary>
public sealed record User(Guid Id, byte[] PublicKey, string Fingerprint, string Nickname, DateTimeOffset CreatedAt);
