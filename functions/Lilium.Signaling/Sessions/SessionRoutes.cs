using System.Text.Json;
using System.Text.Json.Nodes;
using Lilium.Auth;
using Lilium.Data.Friends;
using Lilium.Data.Grants;
using Lilium.Data.Sessions;
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
        _ => Task.FromResult(ServerMessages.Error(ErrorCode.UnknownAction, "Unknown action.", message.Id)),
    };

    /// <summary>True for the actions this class serves.</summary>
    public static bool Serves(string action) => action is Actions.JoinRequest or Actions.JoinAccept or Actions.JoinDecline
        or Actions.RtcOffer or Actions.RtcAnswer or Actions.RtcIce or Actions.GrantUpdate or Actions.SessionEnd or Actions.SessionKick;

    private async Task<byte[]> JoinRequestAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!message.TryGuid("session", out var sessionId))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'session' must be a session id.", message.Id);
        }

        var session = await data.Sessions.GetAsync(sessionId, cancellationToken);
        if (session is null || session.State == SessionState.Ended
            || (message.Has("to") && (!message.TryGuid("to", out var to) || to != session.HostId)))
        {
            return Denied(message.Id, sessionId, null, DenialReason.NoSession);
        }

        if (session.HostId == me.UserId)
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "You host this session.", message.Id);
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
        var incoming = ServerMessages.Build(Actions.JoinIncoming, null, new JsonObject
        {
            ["requestId"] = request.RequestId,
            ["session"] = sessionId.ToString(),
            ["from"] = me.UserId.ToString(),
            ["nick"] = me.Nickname,
            ["expiresAt"] = request.ExpiresAt.ToUnixTimeSeconds(),
        });
        if (await fanout.SendToUserAsync(session.HostId, incoming, cancellationToken) == 0)
        {
            return Denied(message.Id, sessionId, request.RequestId, DenialReason.HostOffline);
        }

        return ServerMessages.Build(Actions.JoinPending, message.Id, new JsonObject
        {
            ["requestId"] = request.RequestId,
            ["session"] = sessionId.ToString(),
            ["host"] = session.HostId.ToString(),
        });
    }

    private async Task<byte[]> JoinAnswerAsync(ConnectionRecord me, ClientMessage message, bool accept, CancellationToken cancellationToken)
    {
        if (message.String("requestId") is not { Length: > 0 and <= 64 } requestId)
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'requestId' is required.", message.Id);
        }

        var request = await joins.TakeAsync(requestId, me.UserId, cancellationToken);
        if (request is null)
        {
            return ServerMessages.Error(ErrorCode.UnknownRequest, "No pending join request with this id for you (answered, expired or unknown).", message.Id);
        }

        if (!accept)
        {
            await fanout.SendToUserAsync(request.ViewerId, Denied(null, request.SessionId, requestId, DenialReason.Declined), cancellationToken);
            return ServerMessages.Build(Actions.JoinDeclined, message.Id, new JsonObject
            {
                ["requestId"] = requestId,
                ["session"] = request.SessionId.ToString(),
                ["viewer"] = request.ViewerId.ToString(),
            });
        }

        // The host's accept is the admission: the one rule (RelayGrantIssuer) makes the viewer a participant and signs.
        var (outcome, grant) = await data.Issuer.AdmitAsync(request.SessionId, me.UserId, request.ViewerId, cancellationToken);
        if (outcome != RelayGrantOutcome.Issued || grant is null)
        {
            var reason = outcome == RelayGrantOutcome.SessionFull ? DenialReason.SessionFull : DenialReason.NoSession;
            await fanout.SendToUserAsync(request.ViewerId, Denied(null, request.SessionId, requestId, reason), cancellationToken);
            return ServerMessages.Error(ErrorCode.JoinFailed, $"The viewer could not be admitted: {reason}.", message.Id);
        }

        var accepted = new JsonObject
        {
            ["requestId"] = requestId,
            ["session"] = request.SessionId.ToString(),
            ["host"] = me.UserId.ToString(),
            ["grant"] = grant.Token,
            ["expiresAt"] = grant.ExpiresAt.ToUnixTimeSeconds(),
            ["permissions"] = PermissionsJson(grant.Permissions),
        };
        if (options.RelayUrl is { } relay)
        {
            accepted["relayUrl"] = relay.ToString();
        }

        var delivered = await fanout.SendToUserAsync(request.ViewerId, ServerMessages.Build(Actions.JoinAccepted, null, accepted), cancellationToken);
        return ServerMessages.Build(Actions.JoinAccepted, message.Id, new JsonObject
        {
            ["requestId"] = requestId,
            ["session"] = request.SessionId.ToString(),
            ["viewer"] = request.ViewerId.ToString(),
            ["nick"] = request.ViewerNickname,
            ["permissions"] = PermissionsJson(grant.Permissions),
            ["delivered"] = delivered,
        });
    }

    /// <summary>Relays an offer/answer/candidate to <c>to</c>, only when both are active members of <c>session</c>.</summary>
    private async Task<byte[]> RtcAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!message.TryGuid("to", out var to) || !message.TryGuid("session", out var sessionId))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'to' and 'session' must be ids.", message.Id);
        }

        var field = message.Action == Actions.RtcIce ? "candidate" : "sdp";
        if (!message.Root.TryGetProperty(field, out var payload)
            || (field == "sdp" && payload.ValueKind != JsonValueKind.String)
            || (field == "candidate" && payload.ValueKind is not (JsonValueKind.String or JsonValueKind.Object or JsonValueKind.Null)))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, field == "sdp" ? "'sdp' must be a string." : "'candidate' must be a string, an object or null (end of candidates).", message.Id);
        }

        if (payload.GetRawText().Length > options.MaxSdpBytes)
        {
            return ServerMessages.Error(ErrorCode.TooLarge, $"'{field}' exceeds {options.MaxSdpBytes} bytes.", message.Id);
        }

        if (to == me.UserId
            || !await data.Sessions.IsActiveParticipantAsync(sessionId, me.UserId, cancellationToken)
            || !await data.Sessions.IsActiveParticipantAsync(sessionId, to, cancellationToken))
        {
            return ServerMessages.Error(ErrorCode.NotMember, "Both peers must be active members of the session.", message.Id);
        }

        var forward = new JsonObject
        {
            ["from"] = me.UserId.ToString(),
            ["session"] = sessionId.ToString(),
            [field] = JsonNode.Parse(payload.GetRawText()),
        };
        if (await fanout.SendToUserAsync(to, ServerMessages.Build(message.Action, null, forward), cancellationToken) == 0)
        {
            return ServerMessages.Error(ErrorCode.PeerOffline, "The peer has no open connection.", message.Id);
        }

        return ServerMessages.Build(Actions.RtcSent, message.Id, new JsonObject { ["to"] = to.ToString(), ["session"] = sessionId.ToString() });
    }

    /// <summary>
    /// The host sets what a friend may do (persisted as the friend grant, so it also holds in later sessions) and the
    /// viewer's devices are told at once. Enforcement at the relay follows the host's control channel (docs/input.md).
    /// </summary>
    private async Task<byte[]> GrantUpdateAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!message.TryGuid("viewer", out var viewer))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'viewer' must be a user id.", message.Id);
        }

        if (!TryReadPermissions(message.Root, out var permissions))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'keyboard', 'mouse', 'controller' and 'immersion' must be booleans when present.", message.Id);
        }

        Guid? sessionId = null;
        if (message.Has("session"))
        {
            if (!message.TryGuid("session", out var s))
            {
                return ServerMessages.Error(ErrorCode.BadRequest, "'session' must be a session id.", message.Id);
            }

            if (await data.Sessions.GetAsync(s, cancellationToken) is not { } session || session.HostId != me.UserId)
            {
                return ServerMessages.Error(ErrorCode.NotHost, "Only the session's host changes its grants.", message.Id);
            }

            sessionId = s;
        }

        if (viewer == me.UserId || !await data.Grants.SetAsync(me.UserId, viewer, permissions, time.GetUtcNow(), cancellationToken))
        {
            return ServerMessages.Error(ErrorCode.NotFriends, "Grants are given to accepted friends.", message.Id);
        }

        var pushed = new JsonObject { ["host"] = me.UserId.ToString(), ["permissions"] = PermissionsJson(permissions) };
        if (sessionId is { } id)
        {
            pushed["session"] = id.ToString();
        }

        var delivered = await fanout.SendToUserAsync(viewer, ServerMessages.Build(Actions.GrantUpdated, null, pushed), cancellationToken);
        return ServerMessages.Build(Actions.GrantUpdated, message.Id, new JsonObject
        {
            ["viewer"] = viewer.ToString(),
            ["permissions"] = PermissionsJson(permissions),
            ["delivered"] = delivered,
        });
    }

    /// <summary>The host ends a session; every member still in it hears <c>session.ended</c>.</summary>
    private async Task<byte[]> SessionEndAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!message.TryGuid("session", out var sessionId))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'session' must be a session id.", message.Id);
        }

        var members = await data.Sessions.ListParticipantsAsync(sessionId, cancellationToken);
        switch (await data.Sessions.EndAsync(sessionId, me.UserId, time.GetUtcNow(), cancellationToken))
        {
            case EndOutcome.NotFound or EndOutcome.NotHost:
                return ServerMessages.Error(ErrorCode.NotHost, "Only the session's host ends it.", message.Id);
            case EndOutcome.AlreadyEnded:
                return ServerMessages.Build(Actions.SessionEnded, message.Id, new JsonObject { ["session"] = sessionId.ToString() });
        }

        await TellEndedAsync(sessionId, me.UserId, EndReason.Host, members.Where(m => m.LeftAt is null && m.UserId != me.UserId).Select(m => m.UserId), cancellationToken);

        return ServerMessages.Build(Actions.SessionEnded, message.Id, new JsonObject { ["session"] = sessionId.ToString() });
    }

    /// <summary>Tells each of <paramref name="members"/> that the session ended, and why (<see cref="EndReason"/>).</summary>
    internal async Task TellEndedAsync(Guid sessionId, Guid hostId, string reason, IEnumerable<Guid> members, CancellationToken cancellationToken)
    {
        var ended = ServerMessages.Build(Actions.SessionEnded, null, new JsonObject
        {
            ["session"] = sessionId.ToString(),
            ["host"] = hostId.ToString(),
            ["reason"] = reason,
        });
        foreach (var member in members)
        {
            await fanout.SendToUserAsync(member, ended, cancellationToken);
        }
    }

    /// <summary>The host removes a viewer: the participation ends, the viewer hears <c>session.kicked</c>.</summary>
    private async Task<byte[]> SessionKickAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!message.TryGuid("session", out var sessionId) || !message.TryGuid("viewer", out var viewer))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'session' and 'viewer' must be ids.", message.Id);
        }

        switch (await data.Sessions.KickAsync(sessionId, me.UserId, viewer, time.GetUtcNow(), cancellationToken))
        {
            case KickOutcome.NotFound or KickOutcome.NotHost:
                return ServerMessages.Error(ErrorCode.NotHost, "Only the session's host removes a viewer.", message.Id);
            case KickOutcome.SessionEnded or KickOutcome.NotParticipant:
                return ServerMessages.Error(ErrorCode.NotMember, "This user is not a viewer in the session.", message.Id);
        }

        var delivered = await fanout.SendToUserAsync(viewer, ServerMessages.Build(Actions.SessionKicked, null, new JsonObject
        {
            ["session"] = sessionId.ToString(),
            ["host"] = me.UserId.ToString(),
        }), cancellationToken);
        return ServerMessages.Build(Actions.SessionKicked, message.Id, new JsonObject
        {
            ["session"] = sessionId.ToString(),
            ["viewer"] = viewer.ToString(),
            ["delivered"] = delivered,
        });
    }

    /// <summary>Tells a host that a viewer left their session (the viewer's last signaling connection closed).</summary>
    internal Task<int> TellLeftAsync(Guid sessionId, Guid hostId, Guid viewer, string reason, CancellationToken cancellationToken) =>
        fanout.SendToUserAsync(hostId, ServerMessages.Build(Actions.SessionLeft, null, new JsonObject
        {
            ["session"] = sessionId.ToString(),
            ["viewer"] = viewer.ToString(),
            ["reason"] = reason,
        }), cancellationToken);

    private static byte[] Denied(string? id, Guid sessionId, string? requestId, string reason)
    {
        var fields = new JsonObject { ["session"] = sessionId.ToString(), ["reason"] = reason };
        if (requestId is not null)
        {
            fields["requestId"] = requestId;
        }

        return ServerMessages.Build(Actions.JoinDenied, id, fields);
    }

    internal static JsonObject PermissionsJson(InputPermissions p) => new()
    {
        ["keyboard"] = p.HasFlag(InputPermissions.Keyboard),
        ["mouse"] = p.HasFlag(InputPermissions.Mouse),
        ["controller"] = p.HasFlag(InputPermissions.Controller),
        ["immersion"] = p.HasFlag(InputPermissions.Immersion),
    };

    /// <summary>Absent flags are false; a present flag that is not a boolean is an error.</summary>
    internal static bool TryReadPermissions(JsonElement root, out InputPermissions permissions)
    {
        permissions = InputPermissions.None;
        foreach (var (name, flag) in (ReadOnlySpan<(string, InputPermissions)>)
            [("keyboard", InputPermissions.Keyboard), ("mouse", InputPermissions.Mouse), ("controller", InputPermissions.Controller), ("immersion", InputPermissions.Immersion)])
        {
            if (!root.TryGetProperty(name, out var value))
            {
                continue;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.True:
                    permissions |= flag;
                    break;
                case JsonValueKind.False:
                    break;
                default:
                    return false;
            }
        }

        return true;
    }
}
