namespace Lilium.Api.Contracts;

/// <param name="MaxViewers">1–64; 8 when omitted.</param>
public sealed record CreateSessionRequest(int? MaxViewers = null);

/// <param name="State">active or ended.</param>
public sealed record SessionResponse(Guid Id, Guid HostId, string State, int MaxViewers, DateTimeOffset CreatedAt, DateTimeOffset? EndedAt)
{
    /// <summary>Relay fleet only (absent in single-relay setups): where the session's media relay stands.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public RelayBody? Relay { get; init; }
}

/// <summary>Where a session's media relay stands (relay fleet; docs/relay.md).</summary>
/// <param name="State">ready (a live relay owns the session) or starting (none is live yet; one is starting).</param>
/// <param name="RelayId">The relay that owns the session (the grant's rid), when ready.</param>
/// <param name="Url">The one shared relay base URL to send WHIP/WHEP to (the load balancer), when the deployment names it.</param>
/// <param name="EtaSeconds">While starting: about how many seconds until a relay is ready.</param>
public sealed record RelayBody(string State, string? RelayId, string? Url, int? EtaSeconds);

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
public sealed record RelayGrantResponse(string Token, Guid SessionId, string Role, GrantsBody Permissions, DateTimeOffset ExpiresAt)
{
    /// <summary>Relay fleet only (absent in single-relay setups): the relay the grant names.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public RelayBody? Relay { get; init; }
}

/// <param name="UserId">The accepted friend to admit as a viewer.</param>
public sealed record AdmitRequest(Guid UserId);

public sealed record HealthResponse(string Status);
