using Lilium.Auth;
using Microsoft.Extensions.Primitives;

namespace Lilium.Relay.Auth;

/// <summary>The outcome of checking a request's bearer grant against the endpoint it targets.</summary>
public enum GrantCheck
{
    Ok,
    /// <summary>Missing, malformed, badly signed or expired: 401.</summary>
    Unauthorized,
    /// <summary>Valid, but for another session or role: 403.</summary>
    Forbidden,
}

/// <summary>
/// Verifies <c>Authorization: Bearer &lt;grant&gt;</c> (RFC 6750 §2.1) with the relay key: the grant's
/// session must be the URL's and its role must fit the endpoint (host → WHIP, viewer → WHEP).
/// </summary>
public sealed class RelayGrantVerifier(TokenCodec codec)
{
    public GrantCheck Check(StringValues authorization, Guid session, RelayRole role, out RelayGrantClaims? grant, out string detail)
    {
        grant = null;
        var header = authorization.Count == 1 ? authorization[0] : null;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            detail = "A relay grant is required: Authorization: Bearer <grant>.";
            return GrantCheck.Unauthorized;
        }

        var error = codec.TryRead(header["Bearer ".Length..].Trim(), out grant);
        if (error != TokenError.None)
        {
            detail = $"The relay grant was refused ({error}).";
            grant = null;
            return GrantCheck.Unauthorized;
        }

        if (grant!.SessionId != session)
        {
            detail = "The grant is for another session.";
            return GrantCheck.Forbidden;
        }

        if (grant.Role != role)
        {
            detail = role == RelayRole.Host ? "Only the session's host may publish (WHIP)." : "Only viewers subscribe (WHEP).";
            return GrantCheck.Forbidden;
        }

        detail = string.Empty;
        return GrantCheck.Ok;
    }
}
