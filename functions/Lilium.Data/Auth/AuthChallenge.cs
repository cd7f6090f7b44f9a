namespace Lilium.Data.Auth;

/// <summary>A login nonce for one user; consumed (deleted) by the first token request that names it.</summary>
public sealed record AuthChallenge(Guid Id, Guid UserId, byte[] Nonce, DateTimeOffset ExpiresAt)
{
    /// <summary>How long a challenge may be answered.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The bytes the client signs: ASCII <c>"lilium-auth-v1:"</c>, the challenge id as 16 bytes
    /// (RFC 9562 order, i.e. big-endian), then the 32-byte nonce. The prefix keeps a login signature
    /// from ever being valid for another purpose of the same key.
    /// </summary>
    public byte[] SignedData()
    {
        ReadOnlySpan<byte> prefix = "lilium-auth-v1:"u8;
        var data = new byte[prefix.Length + 16 + Nonce.Length];
        prefix.CopyTo(data);
        Id.TryWriteBytes(data.AsSpan(prefix.Length, 16), bigEndian: true, out _);
        Nonce.CopyTo(data, prefix.Length + 16);
        return data;
    }
}
