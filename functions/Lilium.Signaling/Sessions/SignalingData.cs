using Lilium.Data.Friends;
using Lilium.Data.Grants;
using Lilium.Data.Sessions;

namespace Lilium.Signaling.Sessions;

/// <summary>
/// The Postgres repositories the signaling function reads and writes, and the relay fleet (placement, scaling,
/// <c>session.relay</c>; null in single-relay setups).
/// </summary>
public sealed record SignalingData(FriendshipRepository Friendships, SessionRepository Sessions, FriendGrantRepository Grants, RelayGrantIssuer Issuer, Lilium.Data.Housekeeping Housekeeping, Lilium.Data.Revocations.RevocationRepository Revocations,
    Lilium.Data.Fleet.FleetControl? Fleet = null);
