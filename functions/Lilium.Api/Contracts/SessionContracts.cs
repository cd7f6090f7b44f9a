namespace Lilium.Api.Contracts;

/// <param name="MaxViewers">1–64; 8 when omitted.</param>
public sealed record CreateSessionRequest(int? MaxViewers = null);

/// <param name="State">active or ended.</param>
public sealed record SessionResponse(Guid Id, Guid HostId, string State, int MaxViewers, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt);

/// <param name="Role">host or viewer.</param>
public sealed record ParticipantResponse(Guid UserId, string Nickname, string Role, DateTimeOffset JoinedAt, DateTimeOffset? LeftAt);

/// <param name="ExpiresInSeconds">60 s – 7 days; 1 day when omitted.</param>
/// <param name="MaxUses">1–1000; 1 when omitted.</param>
public sealed record CreateInviteRequest(int? ExpiresInSeconds = null, int? MaxUses = null);

/// <param name="Code">The secret to hand to the invitee; shown only here, stored only as a hash.</param>
public sealed record InviteResponse(Guid Id, Guid SessionId, string Code, DateTimeOffset ExpiresAt, int MaxUses);

public sealed record RedeemInviteRequest(string Code);

/// <param name="Outcome">joined, or alreadyJoined (no use spent).</param>
public sealed record RedeemInviteResponse(Guid SessionId, string Outcome);

/// <param name="Token">The grant to present to the media relay (WHIP/WHEP <c>Authorization: Bearer</c>).</param>
/// <param name="Role">host or viewer.</param>
public sealed record RelayGrantResponse(string Token, Guid SessionId, string Role, GrantsBody Permissions, DateTimeOffset ExpiresAt);

/// <param name="UserId">The accepted friend to admit as a viewer.</param>
public sealed record AdmitRequest(Guid UserId);

public sealed record HealthResponse(string Status);
