using Lilium.Api.Contracts;
using Lilium.Api.Infrastructure;
using Lilium.Api.Security;
using Lilium.Auth;
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
        sessions.MapPost("/{id:guid}/end", End).WithSummary("End the session (host only).");
        sessions.MapPost("/{id:guid}/invites", CreateInvite).WithSummary("Create an expiring, limited-use invite (host only).");
        sessions.MapPost("/{id:guid}/relay-grants", IssueRelayGrant).WithSummary("A signed grant for the media relay: host, or viewer with the host's input grant.");
        app.MapPost("/v1/invites/redeem", Redeem).RequireAuthorization().WithSummary("Join a session with an invite code.");
    }

    private static async Task<Results<Created<SessionResponse>, ProblemHttpResult>> Create(
        CreateSessionRequest request, HttpContext context, SessionRepository sessions, TimeProvider time, CancellationToken ct)
    {
        var max = request.MaxViewers ?? DefaultMaxViewers;
        if (max is < 1 or > Session.ViewerLimit)
        {
            return Problems.Of(ErrorCode.InvalidMaxViewers, $"maxViewers must be 1–{Session.ViewerLimit}.");
        }

        var session = await sessions.CreateAsync(context.User.UserId(), max, time.GetUtcNow(), ct);
        return TypedResults.Created($"/v1/sessions/{session.Id}", session.ToResponse());
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
        Guid id, HttpContext context, RelayGrantIssuer issuer, CancellationToken ct)
    {
        var (outcome, grant) = await issuer.IssueAsync(id, context.User.UserId(), ct);
        return outcome switch
        {
            RelayGrantOutcome.Issued => TypedResults.Ok(new RelayGrantResponse(
                grant!.Token, grant.SessionId, grant.Role == RelayRole.Host ? "host" : "viewer", grant.Permissions.ToBody(), grant.ExpiresAt)),
            RelayGrantOutcome.SessionEnded => Problems.Of(ErrorCode.SessionEnded, "The session has ended."),
            RelayGrantOutcome.SessionFull => Problems.Of(ErrorCode.SessionFull, "The session has no free viewer place."),
            RelayGrantOutcome.Forbidden => Problems.Of(ErrorCode.NotAllowed, "Only the host, a participant or a friend of the host may join this session."),
            _ => SessionNotFound(),
        };
    }

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
