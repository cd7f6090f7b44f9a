namespace Lilium.Signaling.Connections;

/// <summary>Who owns a connection.</summary>
public sealed record ConnectionRecord(string ConnectionId, Guid UserId, string Nickname);
