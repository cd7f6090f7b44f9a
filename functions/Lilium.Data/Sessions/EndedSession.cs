namespace Lilium.Data.Sessions;

/// <summary>A session the sweeper ended: why (<c>host-gone</c>, <c>stale</c>) and who was still in it, the host included.</summary>
public sealed record EndedSession(Guid SessionId, Guid HostId, string Reason, IReadOnlyList<Guid> Members);
