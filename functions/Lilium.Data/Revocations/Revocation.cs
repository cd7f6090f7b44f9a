using Lilium.Protocol;

namespace Lilium.Data.Revocations;

/// <summary>
/// One thing the media relays must undo (a row of <c>revocations</c>): <c>session-ended</c> (every peer of
/// <see cref="SessionId"/>), <c>removed</c> (<see cref="UserId"/>'s viewer peers in <see cref="SessionId"/>),
/// <c>permissions</c> (<see cref="UserId"/>'s input in sessions <see cref="HostId"/> hosts becomes
/// <see cref="Permissions"/>), <c>user-revoked</c> (every peer of <see cref="UserId"/>).
/// </summary>
public sealed record Revocation(long Seq, string Kind, Guid? SessionId, Guid? HostId, Guid? UserId, InputPermissions? Permissions, DateTimeOffset At);
