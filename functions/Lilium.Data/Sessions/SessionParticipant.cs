namespace Lilium.Data.Sessions;

/// <summary>A member of a session; <see cref="LeftAt"/> is set when they left or the session ended.</summary>
public sealed record SessionParticipant(Guid SessionId, Guid UserId, string Nickname, ParticipantRole Role, DateTimeOffset JoinedAt, DateTimeOffset? LeftAt);
