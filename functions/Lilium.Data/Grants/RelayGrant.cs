using Lilium.Auth;
using Lilium.Protocol;

namespace Lilium.Data.Grants;

/// <summary>A signed relay grant (<see cref="TokenKind.Relay"/>) and what it says, for the response body.</summary>
/// <param name="RelayId">The relay that owns the session (the grant's <c>rid</c>); null: any relay.</param>
public sealed record RelayGrant(string Token, Guid SessionId, Guid UserId, RelayRole Role, InputPermissions Permissions, DateTimeOffset ExpiresAt, string? RelayId = null);
