using System.Security.Cryptography;
using System.Text;

namespace Lilium.WebRtc.Ice;

/// <summary>
/// ICE username fragment and password (RFC 8839 §5.4): ice-chars, ufrag 4–256 characters with at
/// least 24 bits of randomness, password 22–256 characters with at least 128 bits.
/// </summary>
public sealed record IceCredentials(string Ufrag, string Password)
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /// <summary>The password as the MESSAGE-INTEGRITY key (SASLprep is the identity on ice-chars).</summary>
    public byte[] Key { get; } = Encoding.UTF8.GetBytes(Password);

    /// <summary>Fresh credentials: an 8-character ufrag (48 bits) and a 24-character password (144 bits).</summary>
    public static IceCredentials Generate() =>
        new(new string(RandomNumberGenerator.GetItems<char>(IceChars, 8)), new string(RandomNumberGenerator.GetItems<char>(IceChars, 24)));

    public static bool IsValidUfrag(string? value) => value is { Length: >= 4 and <= 256 } && value.All(IceChars.Contains);

    public static bool IsValidPassword(string? value) => value is { Length: >= 22 and <= 256 } && value.All(IceChars.Contains);
}
