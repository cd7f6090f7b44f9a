using Lilium.Protocol;

namespace Lilium.Client.Api;

/// <summary>A user as the API shows it.</summary>
/// <param name="Id">The user's id.</param>
/// <param name="Nickname">The display name.</param>
/// <param name="Fingerprint">Lower-case hex SHA-256 of the public key.</param>
/// <param name="PublicKey">Base64 SubjectPublicKeyInfo.</param>
/// <param name="CreatedAt">When the user registered.</param>
public sealed record UserInfo(Guid Id, string Nickname, string Fingerprint, string PublicKey, DateTimeOffset CreatedAt);

/// <summary>A friend, or a request either way, or a block the caller placed.</summary>
/// <param name="UserId">The other user.</param>
/// <param name="Nickname">Their display name.</param>
/// <param name="Fingerprint">Their key fingerprint.</param>
/// <param name="Status">pending, accepted, declined or blocked.</param>
/// <param name="Direction">outgoing or incoming.</param>
/// <param name="Online">Presence (from signaling).</param>
/// <param name="UpdatedAt">Last change.</param>
public sealed record FriendInfo(Guid UserId, string Nickname, string Fingerprint, string Status, string Direction, bool Online, DateTimeOffset UpdatedAt);

/// <summary>A screen-sharing session.</summary>
/// <param name="Id">The session id (also the relay's session).</param>
/// <param name="HostId">The host.</param>
/// <param name="State">active or ended.</param>
/// <param name="MaxViewers">Viewer cap.</param>
/// <param name="CreatedAt">Start.</param>
/// <param name="EndedAt">End, if ended.</param>
/// <param name="Relay">Relay fleet only: where the session's media relay stands (on creation).</param>
public sealed record SessionInfo(Guid Id, Guid HostId, string State, int MaxViewers, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt, RelayInfo? Relay = null);

/// <summary>Where a session's media relay stands (relay fleet; absent in single-relay deployments).</summary>
/// <param name="State"><c>ready</c> or <c>starting</c>.</param>
/// <param name="RelayId">The relay that owns the session (the grant names it), when ready.</param>
/// <param name="Url">The shared relay base URL to send WHIP/WHEP to, when the deployment names it.</param>
/// <param name="EtaSeconds">While starting: about how many seconds until a relay is ready.</param>
public sealed record RelayInfo(string State, string? RelayId, string? Url, int? EtaSeconds);

/// <summary>A relay is starting for the session: what a waiting client shows ("Starting a relay… ~5 s").</summary>
/// <param name="EtaSeconds">The server's estimate of the remaining wait.</param>
/// <param name="Waited">How long this client has waited so far.</param>
public sealed record RelayStartProgress(int EtaSeconds, TimeSpan Waited)
{
    /// <summary>The sentence to show.</summary>
    public override string ToString() => $"Starting a relay… ~{Math.Max(1, EtaSeconds - (int)Waited.TotalSeconds)} s";
}

/// <summary>An invite to a session.</summary>
/// <param name="Id">The invite id.</param>
/// <param name="SessionId">The session.</param>
/// <param name="Code">The secret code to pass on (shown once).</param>
/// <param name="ExpiresAt">Expiry.</param>
/// <param name="MaxUses">How many may redeem it.</param>
public sealed record InviteInfo(Guid Id, Guid SessionId, string Code, DateTimeOffset ExpiresAt, int MaxUses);

/// <summary>A signed, expiring grant for the media relay (WHIP for the host, WHEP for a viewer).</summary>
/// <param name="Token">The bearer token for the relay.</param>
/// <param name="SessionId">The session it names.</param>
/// <param name="Role">host or viewer.</param>
/// <param name="Permissions">The viewer's input grant at issue time.</param>
/// <param name="ExpiresAt">Expiry.</param>
/// <param name="Relay">Relay fleet only: the relay the grant names.</param>
public sealed record RelayGrant(string Token, Guid SessionId, string Role, InputPermissions Permissions, DateTimeOffset ExpiresAt, RelayInfo? Relay = null);

internal sealed record ChallengeBody(Guid? UserId, string? PublicKey);

internal sealed record ChallengeReply(Guid ChallengeId, Guid UserId, string Nonce, string SignedData, DateTimeOffset ExpiresAt);

internal sealed record TokenBody(Guid ChallengeId, string Signature);

internal sealed record RefreshBody(string RefreshToken);

internal sealed record TokenReply(string TokenType, string AccessToken, DateTimeOffset AccessTokenExpiresAt, string RefreshToken, DateTimeOffset RefreshTokenExpiresAt, Guid UserId);

internal sealed record RegisterBody(string PublicKey, string Nickname, long Timestamp, string Signature);

internal sealed record FriendRequestBody(Guid UserId);

internal sealed record FriendshipReply(Guid UserId, string Status);

internal sealed record CreateSessionBody(int? MaxViewers);

internal sealed record CreateInviteBody(int? ExpiresInSeconds, int? MaxUses);

internal sealed record RedeemBody(string Code);

internal sealed record RedeemReply(Guid SessionId, string Outcome);

internal sealed record RelayGrantReply(string Token, Guid SessionId, string Role, PermissionSet Permissions, DateTimeOffset ExpiresAt, RelayInfo? Relay = null);

internal sealed record EmptyBody;
