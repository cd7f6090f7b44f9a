namespace Lilium.Protocol.Signaling;

/// <summary>The <c>action</c> values of signaling protocol version 1 (docs/signaling.md).</summary>
public static class Actions
{
    /// <summary>→ keep-alive; ← <see cref="Pong"/>.</summary>
    public const string Ping = "ping";
    /// <summary>← the reply to <see cref="Ping"/>.</summary>
    public const string Pong = "pong";
    /// <summary>← a request was refused; carries an <see cref="ErrorCode"/>.</summary>
    public const string Error = "error";
    /// <summary>← a friend's first connection came up or last went down.</summary>
    public const string Presence = "presence";
    /// <summary>→ which friends are online; ← the list.</summary>
    public const string PresenceList = "presence.list";
    /// <summary>⇄ end-to-end chat key exchange.</summary>
    public const string ChatHello = "chat.hello";
    /// <summary>⇄ a chat message was decrypted or read.</summary>
    public const string ChatAck = "chat.ack";
    /// <summary>⇄ an end-to-end encrypted chat message.</summary>
    public const string ChatMsg = "chat.msg";
    /// <summary>← how many devices a chat message reached.</summary>
    public const string ChatReceipt = "chat.receipt";

    /// <summary>→ a viewer asks to join a session.</summary>
    public const string JoinRequest = "join.request";
    /// <summary>← the request reached the host.</summary>
    public const string JoinPending = "join.pending";
    /// <summary>← the host hears a request.</summary>
    public const string JoinIncoming = "join.incoming";
    /// <summary>→ the host admits the viewer.</summary>
    public const string JoinAccept = "join.accept";
    /// <summary>→ the host refuses the viewer.</summary>
    public const string JoinDecline = "join.decline";
    /// <summary>← admitted (to the viewer, with a relay grant; to the host, as the reply).</summary>
    public const string JoinAccepted = "join.accepted";
    /// <summary>← the host's reply to its own decline.</summary>
    public const string JoinDeclined = "join.declined";
    /// <summary>← the viewer was refused; carries a <see cref="DenialReason"/>.</summary>
    public const string JoinDenied = "join.denied";

    /// <summary>⇄ an SDP offer between session members.</summary>
    public const string RtcOffer = "rtc.offer";
    /// <summary>⇄ an SDP answer between session members.</summary>
    public const string RtcAnswer = "rtc.answer";
    /// <summary>⇄ an ICE candidate between session members.</summary>
    public const string RtcIce = "rtc.ice";
    /// <summary>← an rtc message reached the peer.</summary>
    public const string RtcSent = "rtc.sent";

    /// <summary>→ the host sets a friend's input grant.</summary>
    public const string GrantUpdate = "grant.update";
    /// <summary>← a grant changed (to the viewer) or was stored (to the host).</summary>
    public const string GrantUpdated = "grant.updated";

    /// <summary>→ the host ends a session.</summary>
    public const string SessionEnd = "session.end";
    /// <summary>← a session ended; carries an <see cref="EndReason"/>.</summary>
    public const string SessionEnded = "session.ended";
    /// <summary>→ the host removes a viewer from a session.</summary>
    public const string SessionKick = "session.kick";
    /// <summary>← a viewer was removed (to the viewer, pushed; to the host, as the reply).</summary>
    public const string SessionKicked = "session.kicked";
    /// <summary>← to the host: a viewer left the session (their last signaling connection closed).</summary>
    public const string SessionLeft = "session.left";
    /// <summary>← to the host and admitted viewers: the session's relay is starting, ready, or moved (get a new grant).</summary>
    public const string SessionRelay = "session.relay";
}

/// <summary>The protocol's constants and its catalogue of actions by direction.</summary>
public static class SignalingProtocol
{
    /// <summary>The <c>v</c> every message carries.</summary>
    public const int Version = 1;

    /// <summary>The WebSocket subprotocol; the access token may ride beside it as <c>token.{token}</c>.</summary>
    public const string Subprotocol = "lilium.v1";

    /// <summary>The longest client-chosen <c>id</c>.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Every action a client may send, i.e. the routes of the WebSocket API besides <c>$connect</c>, <c>$disconnect</c> and <c>$default</c>.</summary>
    public static IReadOnlyList<string> ClientActions { get; } =
    [
        Actions.Ping, Actions.PresenceList, Actions.ChatHello, Actions.ChatAck, Actions.ChatMsg,
        Actions.JoinRequest, Actions.JoinAccept, Actions.JoinDecline,
        Actions.RtcOffer, Actions.RtcAnswer, Actions.RtcIce,
        Actions.GrantUpdate, Actions.SessionEnd, Actions.SessionKick,
    ];

    /// <summary>Every action the server sends.</summary>
    public static IReadOnlyList<string> ServerActions { get; } =
    [
        Actions.Pong, Actions.Error, Actions.Presence, Actions.PresenceList,
        Actions.ChatHello, Actions.ChatAck, Actions.ChatMsg, Actions.ChatReceipt,
        Actions.JoinPending, Actions.JoinIncoming, Actions.JoinAccepted, Actions.JoinDeclined, Actions.JoinDenied,
        Actions.RtcOffer, Actions.RtcAnswer, Actions.RtcIce, Actions.RtcSent,
        Actions.GrantUpdated, Actions.SessionEnded, Actions.SessionKicked, Actions.SessionLeft,
        Actions.SessionRelay,
    ];
}

/// <summary>
/// The <c>reason</c> of a <c>join.denied</c> message (wire names in <see cref="DenialReasons"/>). There is no
/// "blocked" or "not friends": a requester who may not know of the session hears <see cref="NoSession"/>, so a denial
/// reveals neither a session nor a block.
/// </summary>
public enum DenialReason
{
    /// <summary>
    /// The session does not exist, has ended, is not hosted by the addressed user — or the requester may not know of it
    /// (not an accepted friend of the host and not a participant, or in a blocked pair).
    /// </summary>
    NoSession,
    /// <summary>The session has as many viewers as it allows.</summary>
    SessionFull,
    /// <summary>The host has no open connection.</summary>
    HostOffline,
    /// <summary>The host declined.</summary>
    Declined,
}

/// <summary>Wire names of <see cref="DenialReason"/>.</summary>
public static class DenialReasons
{
    private static readonly string[] Names = ["no-session", "session-full", "host-offline", "declined"];

    /// <summary>Every wire name, in the order the server checks them.</summary>
    public static IReadOnlyList<string> All => Names;

    /// <summary>The wire name of <paramref name="reason"/>.</summary>
    public static string WireName(this DenialReason reason) => Names[(int)reason];

    /// <summary>The reason with this wire name; false for one this version does not know.</summary>
    public static bool TryParse(string? name, out DenialReason reason)
    {
        var i = Array.IndexOf(Names, name);
        reason = (DenialReason)Math.Max(i, 0);
        return i >= 0;
    }
}

/// <summary>The <c>reason</c> of a <c>session.ended</c> message (wire names in <see cref="EndReasons"/>; stored as <c>sessions.end_reason</c>).</summary>
public enum EndReason
{
    /// <summary>The host ended it.</summary>
    Host,
    /// <summary>The host's signaling connections were all gone for longer than the grace period.</summary>
    HostGone,
    /// <summary>The publisher's media went away.</summary>
    PublisherGone,
    /// <summary>Active for longer than the longest session allowed.</summary>
    Stale,
}

/// <summary>Wire names of <see cref="EndReason"/>.</summary>
public static class EndReasons
{
    private static readonly string[] Names = ["host", "host-gone", "publisher-gone", "stale"];

    /// <summary>Every wire name.</summary>
    public static IReadOnlyList<string> All => Names;

    /// <summary>The wire name of <paramref name="reason"/>.</summary>
    public static string WireName(this EndReason reason) => Names[(int)reason];

    /// <summary>The reason with this wire name; false for one this version does not know.</summary>
    public static bool TryParse(string? name, out EndReason reason)
    {
        var i = Array.IndexOf(Names, name);
        reason = (EndReason)Math.Max(i, 0);
        return i >= 0;
    }
}

/// <summary>The <c>reason</c> of a <c>session.left</c> message.</summary>
public static class LeaveReasons
{
    /// <summary>The viewer's last signaling connection closed.</summary>
    public const string Disconnected = "disconnected";

    /// <summary>Every wire name.</summary>
    public static IReadOnlyList<string> All { get; } = [Disconnected];
}

/// <summary>The <c>state</c> of a <c>session.relay</c> message (and of the REST answers' <c>relay</c> object).</summary>
public static class RelayStates
{
    /// <summary>No relay is live for the session yet; one is starting.</summary>
    public const string Starting = "starting";

    /// <summary>A live relay owns the session.</summary>
    public const string Ready = "ready";

    /// <summary>The session's relay died or is draining; another live relay owns it now.</summary>
    public const string Moved = "moved";

    /// <summary>Every state.</summary>
    public static IReadOnlyList<string> All { get; } = [Starting, Ready, Moved];
}
