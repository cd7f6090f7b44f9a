using Lilium.Api.Contracts;
using Lilium.Api.Infrastructure;
using Lilium.Api.Security;
using Lilium.Auth;
using Lilium.Data.Fleet;
using Lilium.Data.Friends;
using Lilium.Data.Grants;
using Lilium.Data.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;
using Lilium.Protocol;

namespace Lilium.Api.Endpoints;

internal static class SessionEndpoints
{
    private const int DefaultMaxViewers = 8;
    private static readonly TimeSpan DefaultInviteLifetime = TimeSpan.FromDays(1);
    private static readonly TimeSpan MinInviteLifetime = TimeSpan.FromSeconds(60);

    public static void MapSessionEndpoints(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/v1/sessions").RequireAuthorization();
        sessions.MapPost("/", Create).WithSummary("Start hosting a session.");
        sessions.MapGet("/{id:guid}", Get).WithSummary("A session the caller hosts, is in, or whose host is a friend.");
        sessions.MapGet("/{id:guid}/participants", Participants).WithSummary("Everyone who joined the session.");
        sessions.MapPost("/{id:guid}/participants", Admit).WithSummary("The host admits an accepted friend as a viewer (as accepting their join request does).");
        sessions.MapDelete("/{id:guid}/participants/{userId:guid}", Remove).WithSummary("The host kicks a viewer, or a viewer leaves.");
        sessions.MapPost("/{id:guid}/end", End).WithSummary("End the session (host only).");
        sessions.MapPost("/{id:guid}/invites", CreateInvite).WithSummary("Create an expiring, limited-use invite (host only).");
        sessions.MapPost("/{id:guid}/relay-grants", IssueRelayGrant).WithSummary("A signed grant for the media relay: host, or viewer with the host's input grant.");
        sessions.MapPost("/{id:guid}/relay-check", RelayCheck).WithSummary("The caller's media stopped: re-place the session now if its relay is gone (host or viewer).");
        app.MapPost("/v1/invites/redeem", Redeem).RequireAuthorization().WithSummary("Join a session with an invite code.");
    }

    private static async Task<Results<Created<SessionResponse>, ProblemHttpResult>> Create(
        CreateSessionRequest request, HttpContext context, SessionRepository sessions, FleetAccess fleet, TimeProvider time, CancellationToken ct)
    {
        var max = request.MaxViewers ?? DefaultMaxViewers;
        if (max is < 1 or > Session.ViewerLimit)
        {
            return Problems.Of(ErrorCode.InvalidMaxViewers, $"maxViewers must be 1–{Session.ViewerLimit}.");
        }

        var session = await sessions.CreateAsync(context.User.UserId(), max, time.GetUtcNow(), ct);
        var response = session.ToResponse();
        if (fleet.Control is { } control)
        {
            // Placed now on a live relay, or waiting while one starts (the desired count was raised).
            response = response with { Relay = ToBody(await control.PlaceNewAsync(session.Id, ct), fleet.RelayUrl) };
        }

        return TypedResults.Created($"/v1/sessions/{session.Id}", response);
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> Get(
        Guid id, HttpContext context, SessionRepository sessions, FriendshipRepository friendships, CancellationToken ct) =>
        await VisibleSessionAsync(id, context.User.UserId(), sessions, friendships, ct) is { } session
            ? TypedResults.Ok(session.ToResponse())
            : SessionNotFound();

    private static async Task<Results<Ok<ParticipantResponse[]>, ProblemHttpResult>> Participants(
        Guid id, HttpContext context, SessionRepository sessions, FriendshipRepository friendships, CancellationToken ct)
    {
        if (await VisibleSessionAsync(id, context.User.UserId(), sessions, friendships, ct) is null)
        {
            return SessionNotFound();
        }

        var list = await sessions.ListParticipantsAsync(id, ct);
        return TypedResults.Ok(list.Select(p => p.ToResponse()).ToArray());
    }

    private static async Task<Results<Ok<SessionResponse>, ProblemHttpResult>> End(
        Guid id, HttpContext context, SessionRepository sessions, TimeProvider time, CancellationToken ct)
    {
        var outcome = await sessions.EndAsync(id, context.User.UserId(), time.GetUtcNow(), ct);
        return outcome switch
        {
            EndOutcome.Ended or EndOutcome.AlreadyEnded => TypedResults.Ok((await sessions.GetAsync(id, ct))!.ToResponse()),
            EndOutcome.NotHost => Problems.Of(ErrorCode.NotHost, "Only the host can end the session."),
            _ => SessionNotFound(),
        };
    }

    private static async Task<Results<Created<InviteResponse>, ProblemHttpResult>> CreateInvite(
        Guid id, CreateInviteRequest request, HttpContext context, InviteRepository invites, TimeProvider time, CancellationToken ct)
    {
        var lifetime = request.ExpiresInSeconds is { } s ? TimeSpan.FromSeconds(s) : DefaultInviteLifetime;
        if (lifetime < MinInviteLifetime || lifetime > Invite.MaxLifetime)
        {
            return Problems.Of(ErrorCode.InvalidExpiry, $"expiresInSeconds must be {MinInviteLifetime.TotalSeconds}–{Invite.MaxLifetime.TotalSeconds}.");
        }

        var maxUses = request.MaxUses ?? 1;
        if (maxUses is < 1 or > Invite.MaxUsesLimit)
        {
            return Problems.Of(ErrorCode.InvalidMaxUses, $"maxUses must be 1–{Invite.MaxUsesLimit}.");
        }

        var now = time.GetUtcNow();
        var code = InviteCode.New();
        var (outcome, invite) = await invites.CreateAsync(id, context.User.UserId(), InviteCode.Hash(code)!, now + lifetime, maxUses, now, ct);
        return outcome switch
        {
            CreateInviteOutcome.Created => TypedResults.Created($"/v1/sessions/{id}/invites/{invite!.Id}", new InviteResponse(invite.Id, id, code, invite.ExpiresAt, maxUses)),
            CreateInviteOutcome.NotHost => Problems.Of(ErrorCode.NotHost, "Only the host can invite to the session."),
            CreateInviteOutcome.SessionEnded => Problems.Of(ErrorCode.SessionEnded, "The session has ended."),
            _ => SessionNotFound(),
        };
    }

    private static async Task<Results<Ok<RedeemInviteResponse>, ProblemHttpResult>> Redeem(
        RedeemInviteRequest request, HttpContext context, InviteRepository invites, TimeProvider time, CancellationToken ct)
    {
        if (InviteCode.Hash(request.Code) is not { } hash)
        {
            return Problems.Of(ErrorCode.InviteNotFound, "No invite has this code.");
        }

        var (outcome, sessionId) = await invites.RedeemAsync(hash, context.User.UserId(), time.GetUtcNow(), ct);
        return outcome switch
        {
            RedeemOutcome.Joined => TypedResults.Ok(new RedeemInviteResponse(sessionId!.Value, "joined")),
            RedeemOutcome.AlreadyJoined => TypedResults.Ok(new RedeemInviteResponse(sessionId!.Value, "alreadyJoined")),
            RedeemOutcome.Expired => Problems.Of(ErrorCode.InviteExpired, "The invite has expired."),
            RedeemOutcome.Exhausted => Problems.Of(ErrorCode.InviteExhausted, "The invite has been used up."),
            RedeemOutcome.SessionEnded => Problems.Of(ErrorCode.SessionEnded, "The session has ended."),
            RedeemOutcome.SessionFull => Problems.Of(ErrorCode.SessionFull, "The session has no free viewer place."),
            _ => Problems.Of(ErrorCode.InviteNotFound, "No invite has this code."),
        };
    }

    private static async Task<Results<Ok<RelayGrantResponse>, ProblemHttpResult>> IssueRelayGrant(
        Guid id, HttpContext context, RelayGrantIssuer issuer, FleetAccess fleet, CancellationToken ct)
    {
        var decision = await issuer.IssueAsync(id, context.User.UserId(), ct);
        if (fleet.Control is not { } control || decision.Outcome != RelayGrantOutcome.Issued)
        {
            return GrantResult(decision);
        }

        // The caller may have a grant: make sure a live relay owns the session, and name it in the grant.
        var placement = await control.EnsurePlacedAsync(id, ct);
        if (placement is null)
        {
            return Problems.Of(ErrorCode.SessionEnded, "The session has ended.");
        }

        if (!placement.IsReady)
        {
            return Problems.RelayStarting(context, placement.EtaSeconds ?? (int)control.Settings.StartEstimate.TotalSeconds);
        }

        if (decision.Grant!.RelayId != placement.RelayId)
        {
            decision = await issuer.IssueAsync(id, context.User.UserId(), ct); // placed just now: sign with the owner's rid
        }

        var result = GrantResult(decision);
        return result.Result is Ok<RelayGrantResponse> ok
            ? TypedResults.Ok(ok.Value! with { Relay = ToBody(placement with { RelayId = decision.Grant?.RelayId ?? placement.RelayId }, fleet.RelayUrl) })
            : result;
    }

    private static async Task<Results<Ok<RelayBody>, ProblemHttpResult>> RelayCheck(
        Guid id, HttpContext context, SessionRepository sessions, FleetAccess fleet, CancellationToken ct)
    {
        if (!await sessions.IsActiveParticipantAsync(id, context.User.UserId(), ct))
        {
            return SessionNotFound();
        }

        if (fleet.Control is not { } control)
        {
            // One relay, nothing to re-place: the client retries against the same relay.
            return TypedResults.Ok(new RelayBody(Lilium.Protocol.Signaling.RelayStates.Ready, null, fleet.RelayUrl?.ToString(), null));
        }

        return await control.CheckAsync(id, ct) is { } placement
            ? TypedResults.Ok(ToBody(placement, fleet.RelayUrl))
            : Problems.Of(ErrorCode.SessionEnded, "The session has ended.");
    }

    private static RelayBody ToBody(RelayPlacementResult placement, Uri? relayUrl) =>
        new(placement.State, placement.RelayId, relayUrl?.ToString(), placement.EtaSeconds);

    private static async Task<Results<Ok<RelayGrantResponse>, ProblemHttpResult>> Admit(
        Guid id, AdmitRequest request, HttpContext context, RelayGrantIssuer issuer, CancellationToken ct)
    {
        if (request.UserId == context.User.UserId())
        {
            return Problems.Of(ErrorCode.SelfAdmit, "The host is already in the session.");
        }

        // The grant is the viewer's: the host learns only that the admission succeeded (and with which permissions).
        var result = GrantResult(await issuer.AdmitAsync(id, context.User.UserId(), request.UserId, ct));
        return result.Result is Ok<RelayGrantResponse> ok
            ? TypedResults.Ok(ok.Value! with { Token = "" })
            : result;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Remove(
        Guid id, Guid userId, HttpContext context, SessionRepository sessions, TimeProvider time, CancellationToken ct)
    {
        var me = context.User.UserId();
        if (userId == me)
        {
            return await sessions.LeaveAsync(id, me, time.GetUtcNow(), ct)
                ? TypedResults.NoContent()
                : SessionNotFound();
        }

        return await sessions.KickAsync(id, me, userId, time.GetUtcNow(), ct) switch
        {
            KickOutcome.Kicked => TypedResults.NoContent(),
            KickOutcome.NotHost => Problems.Of(ErrorCode.NotHost, "Only the host removes a viewer."),
            KickOutcome.SessionEnded => Problems.Of(ErrorCode.SessionEnded, "The session has ended."),
            KickOutcome.NotParticipant => Problems.Of(ErrorCode.ParticipantNotFound, "This user is not a viewer in the session."),
            _ => SessionNotFound(),
        };
    }

    /// <summary>One mapping of the admission rule's outcomes, for every endpoint that applies it.</summary>
    private static Results<Ok<RelayGrantResponse>, ProblemHttpResult> GrantResult((RelayGrantOutcome Outcome, RelayGrant? Grant) decision) => decision switch
    {
        (RelayGrantOutcome.Issued, { } grant) => TypedResults.Ok(new RelayGrantResponse(
            grant.Token, grant.SessionId, grant.Role == RelayRole.Host ? "host" : "viewer", grant.Permissions.ToBody(), grant.ExpiresAt)),
        (RelayGrantOutcome.SessionEnded, _) => Problems.Of(ErrorCode.SessionEnded, "The session has ended."),
        (RelayGrantOutcome.SessionFull, _) => Problems.Of(ErrorCode.SessionFull, "The session has no free viewer place."),
        (RelayGrantOutcome.NotAdmitted, _) => Problems.Of(ErrorCode.NotAdmitted, "The host has not admitted you: ask to join (join.request) or redeem an invite."),
        _ => SessionNotFound(),
    };

    /// <summary>Visible to its host, its participants and the host's friends; to anyone else it does not exist.</summary>
    private static async Task<Session?> VisibleSessionAsync(Guid id, Guid me, SessionRepository sessions, FriendshipRepository friendships, CancellationToken ct)
    {
        var session = await sessions.GetAsync(id, ct);
        if (session is null || session.HostId == me)
        {
            return session;
        }

        return await sessions.IsActiveParticipantAsync(id, me, ct) || await friendships.AreFriendsAsync(session.HostId, me, ct) ? session : null;
    }

    private static ProblemHttpResult SessionNotFound() => Problems.Of(ErrorCode.SessionNotFound, "No session with this id is visible to you.");
}
