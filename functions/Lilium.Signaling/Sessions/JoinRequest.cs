namespace Lilium.Signaling.Sessions;

/// <summary>A viewer's pending request to join a host's session, waiting for the host's answer.</summary>
public sealed record JoinRequest(string RequestId, Guid SessionId, Guid HostId, Guid ViewerId, string ViewerNickname, DateTimeOffset ExpiresAt);
