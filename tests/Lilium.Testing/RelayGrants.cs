using Lilium.Auth;

namespace Lilium.Testing;

/// <summary>Relay grants signed with a relay key the caller holds, for a relay started with that key (RELAY_KEY).</summary>
public static class RelayGrants
{
    /// <summary>A grant for <paramref name="session"/> in <paramref name="role"/>, valid from now for <paramref name="lifetime"/>.</summary>
    public static string Issue(TokenKeys keys, Guid session, RelayRole role, TimeSpan lifetime, Guid? user = null, string? relayId = null)
    {
        var now = DateTimeOffset.UtcNow;
        return keys.RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = user ?? Guid.NewGuid(),
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.Add(lifetime).ToUnixTimeSeconds(),
            SessionId = session,
            Role = role,
            RelayId = relayId,
        });
    }
}
