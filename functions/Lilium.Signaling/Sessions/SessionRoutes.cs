using System.Text.Json;
using Lilium.Data.Friends;
using Lilium.Data.Grants;
using Lilium.Data.Sessions;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;
using Lilium.Signaling.Connections;
using Lilium.Signaling.Protocol;

namespace Lilium.Signaling.Sessions;

/// <summary>
/// The session half of the protocol: <c>join.request</c> → <c>join.incoming</c> → <c>join.accept</c> / <c>join.decline</c>
/// (→ <c>join.accepted</c> with a relay grant, or <c>join.denied</c> with a reason), <c>rtc.offer</c> / <c>rtc.answer</c> /
/// <c>rtc.ice</c> between members of one session, <c>grant.update</c> by the host, and <c>session.end</c>. Postgres
/// (through <c>Lilium.Data</c>) is the authority for friendships, sessions, participants and grants; DynamoDB holds
/// pending requests. Every method returns the reply to the sender.
/// </summary>
public sealed class SessionRoutes(SignalingData data, JoinRequestStore joins, Fanout fanout, SignalingOptions options, TimeProvider time)
{
    public Task<byte[]> HandleAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken) => message.Action switch
    {
        Actions.JoinRequest => JoinRequestAsync(me, message, cancellationToken),
        Actions.JoinAccept => JoinAnswerAsync(me, message, accept: true, cancellationToken),
        Actions.JoinDecline => JoinAnswerAsync(me, message, accept: false, cancellationToken),
        Actions.RtcOffer or Actions.RtcAnswer or Actions.RtcIce => RtcAsync(me, message, cancellationToken),
        Actions.GrantUpdate => GrantUpdateAsync(me, message, cancellationToken),
        Actions.SessionEnd => SessionEndAsync(me, message, cancellationToken),
        Actions.SessionKick => SessionKickAsync(me, message, cancellationToken),
        _ => Task.FromResult(Error(ErrorCode.UnknownAction, "Unknown action.", message.Id)),
    };

    /// <summary>True for the actions this class serves.</summary>
    public static bool Serves(string action) => action is Actions.JoinRequest or Actions.JoinAccept or Actions.JoinDecline
        or Actions.RtcOffer or Actions.RtcAnswer or Actions.RtcIce or Actions.GrantUpdate or Actions.SessionEnd or Actions.SessionKick;

    private async Task<byte[]> JoinRequestAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!SignalingJson.TryRead(message.Root, out ToServer.JoinRequest? join))
        {
            return Error(ErrorCode.BadRequest, "'session' must be a session id (and 'to', if present, a user id).", message.Id);
        }

        var sessionId = join.Session;
        var session = await data.Sessions.GetAsync(sessionId, cancellationToken);
        if (session is null || session.State == SessionState.Ended || (join.To is { } to && to != session.HostId))
        {
            return Denied(message.Id, sessionId, null, DenialReason.NoSession);
        }

        if (session.HostId == me.UserId)
        {
            return Error(ErrorCode.BadRequest, "You host this session.", message.Id);
        }

        // Who may not know of the session (no accepted friendship and not a participant, or a blocked pair) hears
        // exactly what a request for a session that does not exist hears.
        var pair = await data.Friendships.GetAsync(me.UserId, session.HostId, cancellationToken);
        var participants = await data.Sessions.ListParticipantsAsync(sessionId, cancellationToken);
        var member = participants.Any(p => p.UserId == me.UserId && p.LeftAt is null);
        if (pair?.Status == FriendshipStatus.Blocked || (!member && pair?.Status != FriendshipStatus.Accepted))
        {
            return Denied(message.Id, sessionId, null, DenialReason.NoSession);
        }

        if (!member && participants.Count(p => p.Role == ParticipantRole.Viewer && p.LeftAt is null) >= session.MaxViewers)
        {
            return Denied(message.Id, sessionId, null, DenialReason.SessionFull);
        }

        if (!await fanout.IsOnlineAsync(session.HostId, cancellationToken))
        {
            return Denied(message.Id, sessionId, null, DenialReason.HostOffline);
        }

        var request = await joins.CreateAsync(sessionId, session.HostId, me.UserId, me.Nickname, cancellationToken);
        var incoming = new ToClient.JoinIncoming(request.RequestId, sessionId, me.UserId, me.Nickname, request.ExpiresAt.ToUnixTimeSeconds());
        if (await fanout.SendToUserAsync(session.HostId, SignalingJson.ToUtf8(incoming), cancellationToken) == 0)
        {
            return Denied(message.Id, sessionId, request.RequestId, DenialReason.HostOffline);
        }

        return SignalingJson.ToUtf8(new ToClient.JoinPending(request.RequestId, sessionId, session.HostId) { Id = message.Id });
    }

    private async Task<byte[]> JoinAnswerAsync(ConnectionRecord me, ClientMessage message, bool accept, CancellationToken cancellationToken)
    {
        var requestId = accept
            ? (SignalingJson.TryRead(message.Root, out ToServer.JoinAccept? a) ? a.RequestId : null)
            : (SignalingJson.TryRead(message.Root, out ToServer.JoinDecline? d) ? d.RequestId : null);
        if (requestId is not { Length: > 0 and <= SignalingProtocol.MaxIdLength })
        {
            return Error(ErrorCode.BadRequest, "'requestId' is required.", message.Id);
        }

        var request = await joins.TakeAsync(requestId, me.UserId, cancellationToken);
        if (request is null)
        {
            return Error(ErrorCode.UnknownRequest, "No pending join request with this id for you (answered, expired or unknown).", message.Id);
        }

        if (!accept)
        {
            await fanout.SendToUserAsync(request.ViewerId, Denied(null, request.SessionId, requestId, DenialReason.Declined), cancellationToken);
            return SignalingJson.ToUtf8(new ToClient.JoinDeclined(requestId, request.SessionId, request.ViewerId) { Id = message.Id });
        }

        // The host's accept is the admission: the one rule (RelayGrantIssuer) makes the viewer a participant and signs.
        var (outcome, grant) = await data.Issuer.AdmitAsync(request.SessionId, me.UserId, request.ViewerId, cancellationToken);
        if (outcome != RelayGrantOutcome.Issued || grant is null)
        {
            var reason = outcome == RelayGrantOutcome.SessionFull ? DenialReason.SessionFull : DenialReason.NoSession;
            await fanout.SendToUserAsync(request.ViewerId, Denied(null, request.SessionId, requestId, reason), cancellationToken);
            return Error(ErrorCode.JoinFailed, $"The viewer could not be admitted: {reason.WireName()}.", message.Id);
        }

        var permissions = PermissionSet.From(grant.Permissions);
        var toViewer = new ToClient.JoinAccepted(requestId, request.SessionId, permissions)
        {
            Host = me.UserId,
            Grant = grant.Token,
            ExpiresAt = grant.ExpiresAt.ToUnixTimeSeconds(),
            RelayUrl = options.RelayUrl?.ToString(),
        };
        var delivered = await fanout.SendToUserAsync(request.ViewerId, SignalingJson.ToUtf8(toViewer), cancellationToken);
        return SignalingJson.ToUtf8(new ToClient.JoinAccepted(requestId, request.SessionId, permissions)
        {
            Id = message.Id,
            Viewer = request.ViewerId,
            Nick = request.ViewerNickname,
            Delivered = delivered,
        });
    }

    /// <summary>Relays an offer/answer/candidate to <c>to</c>, only when both are active members of <c>session</c>.</summary>
    private async Task<byte[]> RtcAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        WireMessage? forward = null;
        Guid to = default, sessionId = default;
        var size = 0;
        switch (message.Action)
        {
            case Actions.RtcIce when SignalingJson.TryRead(message.Root, out ToServer.RtcIce? ice)
                && ice.Candidate.ValueKind is JsonValueKind.String or JsonValueKind.Object or JsonValueKind.Null:
                (to, sessionId, size) = (ice.To, ice.Session, ice.Candidate.GetRawText().Length);
                forward = new ToClient.RtcIce(me.UserId, ice.Session, ice.Candidate);
                break;
            case Actions.RtcOffer when SignalingJson.TryRead(message.Root, out ToServer.RtcOffer? offer):
                (to, sessionId, size) = (offer.To, offer.Session, offer.Sdp.Length);
                forward = new ToClient.RtcOffer(me.UserId, offer.Session, offer.Sdp);
                break;
            case Actions.RtcAnswer when SignalingJson.TryRead(message.Root, out ToServer.RtcAnswer? answer):
                (to, sessionId, size) = (answer.To, answer.Session, answer.Sdp.Length);
                forward = new ToClient.RtcAnswer(me.UserId, answer.Session, answer.Sdp);
                break;
        }

        var field = message.Action == Actions.RtcIce ? "candidate" : "sdp";
        if (forward is null)
        {
            return Error(ErrorCode.BadRequest, field == "sdp"
                ? "'to' and 'session' must be ids and 'sdp' a string."
                : "'to' and 'session' must be ids and 'candidate' a string, an object or null (end of candidates).", message.Id);
        }

        if (size > options.MaxSdpBytes)
        {
            return Error(ErrorCode.TooLarge, $"'{field}' exceeds {options.MaxSdpBytes} bytes.", message.Id);
        }

        if (to == me.UserId
            || !await data.Sessions.IsActiveParticipantAsync(sessionId, me.UserId, cancellationToken)
            || !await data.Sessions.IsActiveParticipantAsync(sessionId, to, cancellationToken))
        {
            return Error(ErrorCode.NotMember, "Both peers must be active members of the session.", message.Id);
        }

        if (await fanout.SendToUserAsync(to, SignalingJson.ToUtf8(forward), cancellationToken) == 0)
        {
            return Error(ErrorCode.PeerOffline, "The peer has no open connection.", message.Id);
        }

        return SignalingJson.ToUtf8(new ToClient.RtcSent(to, sessionId) { Id = message.Id });
    }

    /// <summary>
    /// The host sets what a friend may do (persisted as the friend grant, so it also holds in later sessions) and the
    /// viewer's devices are told at once. Enforcement at the relay follows the host's control channel (docs/input.md).
    /// </summary>
    private async Task<byte[]> GrantUpdateAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!SignalingJson.TryRead(message.Root, out ToServer.GrantUpdate? update))
        {
            return Error(ErrorCode.BadRequest,
                "'viewer' must be a user id, 'permissions' an object whose 'keyboard', 'mouse', 'controller' and 'immersion' are booleans when present, and 'session', if present, a session id.",
                message.Id);
        }

        var viewer = update.Viewer;
        if (update.Session is { } s && (await data.Sessions.GetAsync(s, cancellationToken) is not { } session || session.HostId != me.UserId))
        {
            return Error(ErrorCode.NotHost, "Only the session's host changes its grants.", message.Id);
        }

        var permissions = update.Permissions.ToFlags();
        if (viewer == me.UserId || !await data.Grants.SetAsync(me.UserId, viewer, permissions, time.GetUtcNow(), cancellationToken))
        {
            return Error(ErrorCode.NotFriends, "Grants are given to accepted friends.", message.Id);
        }

        var pushed = new ToClient.GrantUpdated(update.Permissions) { Host = me.UserId, Session = update.Session };
        var delivered = await fanout.SendToUserAsync(viewer, SignalingJson.ToUtf8(pushed), cancellationToken);
        return SignalingJson.ToUtf8(new ToClient.GrantUpdated(update.Permissions) { Id = message.Id, Viewer = viewer, Delivered = delivered });
    }

    /// <summary>The host ends a session; every member still in it hears <c>session.ended</c>.</summary>
    private async Task<byte[]> SessionEndAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!SignalingJson.TryRead(message.Root, out ToServer.SessionEnd? end))
        {
            return Error(ErrorCode.BadRequest, "'session' must be a session id.", message.Id);
        }

        var sessionId = end.Session;
        var members = await data.Sessions.ListParticipantsAsync(sessionId, cancellationToken);
        switch (await data.Sessions.EndAsync(sessionId, me.UserId, time.GetUtcNow(), cancellationToken))
        {
            case EndOutcome.NotFound or EndOutcome.NotHost:
                return Error(ErrorCode.NotHost, "Only the session's host ends it.", message.Id);
            case EndOutcome.AlreadyEnded:
                return SignalingJson.ToUtf8(new ToClient.SessionEnded(sessionId) { Id = message.Id });
        }

        await TellEndedAsync(sessionId, me.UserId, EndReason.Host.WireName(), members.Where(m => m.LeftAt is null && m.UserId != me.UserId).Select(m => m.UserId), cancellationToken);

        return SignalingJson.ToUtf8(new ToClient.SessionEnded(sessionId) { Id = message.Id });
    }

    /// <summary>Tells each of <paramref name="members"/> that the session ended, and why (the wire name of an <see cref="EndReason"/>).</summary>
    internal async Task TellEndedAsync(Guid sessionId, Guid hostId, string reason, IEnumerable<Guid> members, CancellationToken cancellationToken)
    {
        var ended = SignalingJson.ToUtf8(new ToClient.SessionEnded(sessionId, hostId, reason));
        foreach (var member in members)
        {
            await fanout.SendToUserAsync(member, ended, cancellationToken);
        }
    }

    /// <summary>The host removes a viewer: the participation ends, the viewer hears <c>session.kicked</c>.</summary>
    private async Task<byte[]> SessionKickAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!SignalingJson.TryRead(message.Root, out ToServer.SessionKick? kick))
        {
            return Error(ErrorCode.BadRequest, "'session' and 'viewer' must be ids.", message.Id);
        }

        var (sessionId, viewer) = (kick.Session, kick.Viewer);
        switch (await data.Sessions.KickAsync(sessionId, me.UserId, viewer, time.GetUtcNow(), cancellationToken))
        {
            case KickOutcome.NotFound or KickOutcome.NotHost:
                return Error(ErrorCode.NotHost, "Only the session's host removes a viewer.", message.Id);
            case KickOutcome.SessionEnded or KickOutcome.NotParticipant:
                return Error(ErrorCode.NotMember, "This user is not a viewer in the session.", message.Id);
        }

        var delivered = await fanout.SendToUserAsync(viewer, SignalingJson.ToUtf8(new ToClient.SessionKicked(sessionId) { Host = me.UserId }), cancellationToken);
        return SignalingJson.ToUtf8(new ToClient.SessionKicked(sessionId) { Id = message.Id, Viewer = viewer, Delivered = delivered });
    }

    /// <summary>Tells a host that a viewer left their session (<paramref name="reason"/>: one of <see cref="LeaveReasons"/>).</summary>
    internal Task<int> TellLeftAsync(Guid sessionId, Guid hostId, Guid viewer, string reason, CancellationToken cancellationToken) =>
        fanout.SendToUserAsync(hostId, SignalingJson.ToUtf8(new ToClient.SessionLeft(sessionId, viewer, reason)), cancellationToken);

    private static byte[] Error(ErrorCode code, string text, string? id) => SignalingHandler.Error(code, text, id);

    private static byte[] Denied(string? id, Guid sessionId, string? requestId, DenialReason reason) =>
        SignalingJson.ToUtf8(new ToClient.JoinDenied(sessionId, reason.WireName(), requestId) { Id = id });
}
