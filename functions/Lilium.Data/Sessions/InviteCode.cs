using System.Security.Cryptography;
using System.Text;

namespace Lilium.Data.Sessions;

/// <summary>Invite codes: 20 random bytes as unpadded base64url (27 characters, 160 bits); stored as SHA-256.</summary>
public static class InviteCode
{
    public const int MaxLength = 64;

    public static string New() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(20)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The stored form; null for text that cannot be a code (so it is never looked up).</summary>
    public static byte[]? Hash(string? code) =>
        string.IsNullOrEmpty(code) || code.Length > MaxLength ? null : SHA256.HashData(Encoding.UTF8.GetBytes(code));
}
