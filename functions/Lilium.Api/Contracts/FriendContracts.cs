namespace Lilium.Api.Contracts;

public sealed record FriendRequestBody(Guid UserId);

/// <param name="Status">pending, accepted, declined or blocked.</param>
/// <param name="Direction">outgoing (the caller asked or blocked) or incoming.</param>
/// <param name="Online">Presence comes from the signaling service; always false here for now.</param>
public sealed record FriendResponse(Guid UserId, string Nickname, string Fingerprint, string Status, string Direction, bool Online, DateTimeOffset UpdatedAt);

/// <param name="Status">The pair's status after the call.</param>
public sealed record FriendshipResponse(Guid UserId, string Status);

/// <summary>Input a host lets one friend use in the host's sessions.</summary>
public sealed record GrantsBody(bool Keyboard, bool Mouse, bool Controller, bool Immersion);
