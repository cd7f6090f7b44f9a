namespace Lilium.Signaling.Connections;

/// <summary>
/// Who owns a connection, and the lifetime of the access token it was opened with (Unix seconds; 0 = unknown, for
/// items written before these were stored): the connection is closed when that token expires or the login is revoked.
/// </summary>
public sealed record ConnectionRecord(string ConnectionId, Guid UserId, string Nickname, long TokenIssuedAt = 0, long TokenExpiresAt = 0);
