using Lilium.Auth;

namespace Lilium.Relay.Tests;

/// <summary>Relay grants for the fleet tests: five minutes, naming the relay that owns the session (<c>rid</c>) or none.</summary>
internal static class FleetGrants
{
    public static string Issue(TokenKeys keys, Guid session, RelayRole role, string? relayId, Guid? user = null)
    {
        var now = DateTimeOffset.UtcNow;
        return keys.RelayCodec().Issue(new RelayGrantClaims
        {
            Subject = user ?? Guid.NewGuid(),
            IssuedAt = now.ToUnixTimeSeconds(),
            ExpiresAt = now.AddMinutes(5).ToUnixTimeSeconds(),
            SessionId = session,
            Role = role,
            RelayId = relayId,
        });
    }
}
