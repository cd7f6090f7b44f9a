using System.Text.Json.Serialization;

namespace Lilium.Protocol.Signaling;

/// <summary>
/// A signaling message: a UTF-8 JSON object in one WebSocket text frame that starts <c>{"v":1,"action":…,"id":…}</c>.
/// <see cref="ToServer"/> holds what clients send, <see cref="ToClient"/> what the server sends; a type's name is its
/// action in Pascal case (<c>join.request</c> → <c>JoinRequest</c>). <see cref="SignalingJson"/> reads and writes them.
/// </summary>
public abstract record WireMessage
{
    /// <summary>Sets the action.</summary>
    protected WireMessage(string action) => Action = action;

    /// <summary>The protocol version, <see cref="SignalingProtocol.Version"/>.</summary>
    [JsonPropertyName("v"), JsonPropertyOrder(-3)]
    public int V => SignalingProtocol.Version;

    /// <summary>What the message is (<see cref="Actions"/>).</summary>
    [JsonPropertyName("action"), JsonPropertyOrder(-2)]
    public string Action { get; }

    /// <summary>A client-chosen correlation id (≤ 64 characters), echoed on the reply or error.</summary>
    [JsonPropertyName("id"), JsonPropertyOrder(-1)]
    public string? Id { get; init; }
}

/// <summary>Client → server messages. Clients never set <c>from</c>: the server fills it in.</summary>
public static class ToServer
{
    /// <summary>Keep-alive (API Gateway ignores WebSocket pings for idleness); answered with <c>pong</c>.</summary>
    public sealed record Ping() : WireMessage(Actions.Ping);

    /// <summary>Asks which accepted friends are online.</summary>
    public sealed record PresenceList() : WireMessage(Actions.PresenceList);

    /// <summary>End-to-end key exchange with an accepted friend (docs/chat-e2e.md).</summary>
    /// <param name="To">The friend.</param>
    /// <param name="Key">The handshake, base64 (opaque to the server).</param>
    public sealed record ChatHello(Guid To, string Key) : WireMessage(Actions.ChatHello);

    /// <summary>An encrypted chat message to every device of an accepted friend; answered with <c>chat.receipt</c>.</summary>
    /// <param name="To">The friend.</param>
    /// <param name="Ciphertext">Base64, at most 32 KiB decoded.</param>
    public sealed record ChatMsg(Guid To, string Ciphertext) : WireMessage(Actions.ChatMsg);

    /// <summary>Tells the sender a message was decrypted or read.</summary>
    /// <param name="To">The message's sender.</param>
    /// <param name="MsgId">The <c>msgId</c> the message arrived with (≤ 64 characters).</param>
    public sealed record ChatAck(Guid To, string MsgId) : WireMessage(Actions.ChatAck);

    /// <summary>A viewer asks a session's host to let them in; answered with <c>join.pending</c> or <c>join.denied</c>.</summary>
    /// <param name="Session">The session.</param>
    /// <param name="To">Optional: the host, which must then be the session's host.</param>
    public sealed record JoinRequest(Guid Session, Guid? To = null) : WireMessage(Actions.JoinRequest);

    /// <summary>The host admits a viewer.</summary>
    /// <param name="RequestId">The <c>requestId</c> of <c>join.incoming</c>.</param>
    public sealed record JoinAccept(string RequestId) : WireMessage(Actions.JoinAccept);

    /// <summary>The host refuses a viewer.</summary>
    /// <param name="RequestId">The <c>requestId</c> of <c>join.incoming</c>.</param>
    public sealed record JoinDecline(string RequestId) : WireMessage(Actions.JoinDecline);

    /// <summary>An SDP offer to another active member of the session (≤ 16 KB).</summary>
    /// <param name="To">The peer.</param>
    /// <param name="Session">The session both are members of.</param>
    /// <param name="Sdp">The offer.</param>
    public sealed record RtcOffer(Guid To, Guid Session, string Sdp) : WireMessage(Actions.RtcOffer);

    /// <summary>An SDP answer to another active member of the session (≤ 16 KB).</summary>
    /// <param name="To">The peer.</param>
    /// <param name="Session">The session both are members of.</param>
    /// <param name="Sdp">The answer.</param>
    public sealed record RtcAnswer(Guid To, Guid Session, string Sdp) : WireMessage(Actions.RtcAnswer);

    /// <summary>An ICE candidate to another active member of the session.</summary>
    /// <param name="To">The peer.</param>
    /// <param name="Session">The session both are members of.</param>
    /// <param name="Candidate">A string, an RTCIceCandidateInit object, or null for the end of candidates.</param>
    public sealed record RtcIce(Guid To, Guid Session, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] System.Text.Json.JsonElement Candidate) : WireMessage(Actions.RtcIce);

    /// <summary>The host sets what a friend may do; persisted as the friend grant and pushed to the friend.</summary>
    /// <param name="Viewer">The friend.</param>
    /// <param name="Permissions">The grant.</param>
    /// <param name="Session">Optional; if given, the sender must host it.</param>
    public sealed record GrantUpdate(Guid Viewer, PermissionSet Permissions, Guid? Session = null) : WireMessage(Actions.GrantUpdate);

    /// <summary>The host ends a session; every member still in it hears <c>session.ended</c>.</summary>
    /// <param name="Session">The session.</param>
    public sealed record SessionEnd(Guid Session) : WireMessage(Actions.SessionEnd);

    /// <summary>The host removes a viewer; the viewer hears <c>session.kicked</c>, the host gets it as the reply.</summary>
    /// <param name="Session">The session the sender hosts.</param>
    /// <param name="Viewer">The viewer to remove.</param>
    public sealed record SessionKick(Guid Session, Guid Viewer) : WireMessage(Actions.SessionKick);
}

/// <summary>Server → client messages: replies carry the request's <c>id</c>, pushed messages none.</summary>
public static class ToClient
{
    /// <summary>The reply to <c>ping</c>.</summary>
    public sealed record Pong() : WireMessage(Actions.Pong);

    /// <summary>A request was refused. An error never closes the connection.</summary>
    /// <param name="Code">The wire name of an <see cref="ErrorCode"/>.</param>
    /// <param name="Message">What went wrong, for a person.</param>
    public sealed record Error(string Code, string Message) : WireMessage(Actions.Error);

    /// <summary>A friend's first connection came up or last connection went down.</summary>
    /// <param name="User">The friend.</param>
    /// <param name="Online">Whether the friend is online now.</param>
    public sealed record Presence(Guid User, bool Online) : WireMessage(Actions.Presence);

    /// <summary>The reply to <c>presence.list</c>.</summary>
    /// <param name="Online">The accepted friends with an open connection.</param>
    public sealed record PresenceList(IReadOnlyList<Guid> Online) : WireMessage(Actions.PresenceList);

    /// <summary>A friend's key exchange.</summary>
    /// <param name="From">The friend.</param>
    /// <param name="Key">The handshake, base64.</param>
    public sealed record ChatHello(Guid From, string Key) : WireMessage(Actions.ChatHello);

    /// <summary>A friend's encrypted message.</summary>
    /// <param name="From">The friend.</param>
    /// <param name="Ciphertext">Base64.</param>
    /// <param name="MsgId">The sender's request id, to acknowledge with <c>chat.ack</c>.</param>
    public sealed record ChatMsg(Guid From, string Ciphertext, string? MsgId = null) : WireMessage(Actions.ChatMsg);

    /// <summary>A friend decrypted or read a message.</summary>
    /// <param name="From">The friend.</param>
    /// <param name="MsgId">The message's id.</param>
    public sealed record ChatAck(Guid From, string MsgId) : WireMessage(Actions.ChatAck);

    /// <summary>The sender's receipt for <c>chat.msg</c> (or <c>chat.hello</c>, <c>chat.ack</c>).</summary>
    /// <param name="To">The friend.</param>
    /// <param name="Delivered">How many of the friend's devices it reached.</param>
    public sealed record ChatReceipt(Guid To, int Delivered) : WireMessage(Actions.ChatReceipt);

    /// <summary>The viewer's request reached the host.</summary>
    /// <param name="RequestId">The request.</param>
    /// <param name="Session">The session.</param>
    /// <param name="Host">The host.</param>
    public sealed record JoinPending(string RequestId, Guid Session, Guid Host) : WireMessage(Actions.JoinPending);

    /// <summary>To every connection of the host: a viewer asks to join.</summary>
    /// <param name="RequestId">Answer with <c>join.accept</c> / <c>join.decline</c> naming it.</param>
    /// <param name="Session">The session.</param>
    /// <param name="From">The viewer.</param>
    /// <param name="Nick">The viewer's nickname.</param>
    /// <param name="ExpiresAt">When the request lapses (Unix seconds).</param>
    public sealed record JoinIncoming(string RequestId, Guid Session, Guid From, string Nick, long ExpiresAt) : WireMessage(Actions.JoinIncoming);

    /// <summary>
    /// Admitted. To the viewer (pushed): <see cref="Host"/>, <see cref="Grant"/>, <see cref="ExpiresAt"/> and
    /// <see cref="RelayUrl"/>. To the host (the reply to <c>join.accept</c>): <see cref="Viewer"/>, <see cref="Nick"/>
    /// and <see cref="Delivered"/>.
    /// </summary>
    /// <param name="RequestId">The request.</param>
    /// <param name="Session">The session.</param>
    /// <param name="Permissions">The host's grant to this viewer now.</param>
    public sealed record JoinAccepted(string RequestId, Guid Session, PermissionSet Permissions) : WireMessage(Actions.JoinAccepted)
    {
        /// <summary>To the viewer: the host.</summary>
        public Guid? Host { get; init; }

        /// <summary>To the viewer: the relay grant (a bearer token for WHEP).</summary>
        public string? Grant { get; init; }

        /// <summary>To the viewer: when the relay grant expires (Unix seconds).</summary>
        public long? ExpiresAt { get; init; }

        /// <summary>To the viewer: the media relay to connect to, when the deployment names one.</summary>
        public string? RelayUrl { get; init; }

        /// <summary>To the host: the viewer.</summary>
        public Guid? Viewer { get; init; }

        /// <summary>To the host: the viewer's nickname.</summary>
        public string? Nick { get; init; }

        /// <summary>To the host: how many of the viewer's devices heard it.</summary>
        public int? Delivered { get; init; }
    }

    /// <summary>The host's reply to its own <c>join.decline</c>.</summary>
    /// <param name="RequestId">The request.</param>
    /// <param name="Session">The session.</param>
    /// <param name="Viewer">The viewer.</param>
    public sealed record JoinDeclined(string RequestId, Guid Session, Guid Viewer) : WireMessage(Actions.JoinDeclined);

    /// <summary>The viewer was refused (the reply to <c>join.request</c>, or pushed after the host's answer).</summary>
    /// <param name="Session">The session.</param>
    /// <param name="Reason">The wire name of a <see cref="DenialReason"/>.</param>
    /// <param name="RequestId">The request, once there was one.</param>
    public sealed record JoinDenied(Guid Session, string Reason, string? RequestId = null) : WireMessage(Actions.JoinDenied);

    /// <summary>A session member's offer.</summary>
    /// <param name="From">The member.</param>
    /// <param name="Session">The session.</param>
    /// <param name="Sdp">The offer.</param>
    public sealed record RtcOffer(Guid From, Guid Session, string Sdp) : WireMessage(Actions.RtcOffer);

    /// <summary>A session member's answer.</summary>
    /// <param name="From">The member.</param>
    /// <param name="Session">The session.</param>
    /// <param name="Sdp">The answer.</param>
    public sealed record RtcAnswer(Guid From, Guid Session, string Sdp) : WireMessage(Actions.RtcAnswer);

    /// <summary>A session member's ICE candidate.</summary>
    /// <param name="From">The member.</param>
    /// <param name="Session">The session.</param>
    /// <param name="Candidate">As the member sent it: a string, an object, or null.</param>
    public sealed record RtcIce(Guid From, Guid Session, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] System.Text.Json.JsonElement Candidate) : WireMessage(Actions.RtcIce);

    /// <summary>The sender's confirmation that an rtc message reached the peer.</summary>
    /// <param name="To">The peer.</param>
    /// <param name="Session">The session.</param>
    public sealed record RtcSent(Guid To, Guid Session) : WireMessage(Actions.RtcSent);

    /// <summary>
    /// A grant changed. To the viewer (pushed): <see cref="Host"/> and, when the host named one, <see cref="Session"/>.
    /// To the host (the reply to <c>grant.update</c>): <see cref="Viewer"/> and <see cref="Delivered"/>.
    /// </summary>
    /// <param name="Permissions">The grant now.</param>
    public sealed record GrantUpdated(PermissionSet Permissions) : WireMessage(Actions.GrantUpdated)
    {
        /// <summary>To the viewer: the host.</summary>
        public Guid? Host { get; init; }

        /// <summary>To the viewer: the session the host named.</summary>
        public Guid? Session { get; init; }

        /// <summary>To the host: the viewer.</summary>
        public Guid? Viewer { get; init; }

        /// <summary>To the host: how many of the viewer's devices heard it.</summary>
        public int? Delivered { get; init; }
    }

    /// <summary>
    /// A session ended (to its members, with <see cref="Host"/> and <see cref="Reason"/>; and the host's reply to
    /// <c>session.end</c>, without them).
    /// </summary>
    /// <param name="Session">The session.</param>
    /// <param name="Host">To the members: the session's host.</param>
    /// <param name="Reason">To the members: the wire name of an <see cref="EndReason"/>.</param>
    public sealed record SessionEnded(Guid Session, Guid? Host = null, string? Reason = null) : WireMessage(Actions.SessionEnded);

    /// <summary>
    /// A viewer was removed. To the viewer (pushed): <see cref="Host"/>. To the host (the reply to
    /// <c>session.kick</c>): <see cref="Viewer"/> and <see cref="Delivered"/>.
    /// </summary>
    /// <param name="Session">The session.</param>
    public sealed record SessionKicked(Guid Session) : WireMessage(Actions.SessionKicked)
    {
        /// <summary>To the viewer: the host who removed them.</summary>
        public Guid? Host { get; init; }

        /// <summary>To the host: the viewer.</summary>
        public Guid? Viewer { get; init; }

        /// <summary>To the host: how many of the viewer's devices heard it.</summary>
        public int? Delivered { get; init; }
    }

    /// <summary>To the host: a viewer left the session.</summary>
    /// <param name="Session">The session.</param>
    /// <param name="Viewer">The viewer.</param>
    /// <param name="Reason">Why (<see cref="LeaveReasons"/>).</param>
    public sealed record SessionLeft(Guid Session, Guid Viewer, string Reason) : WireMessage(Actions.SessionLeft);

    /// <summary>
    /// To the host and every admitted viewer: where the session's media relay stands. <c>starting</c>: no relay is live
    /// yet, one is starting (about <see cref="EtaSeconds"/>); <c>ready</c>: a relay took the session; <c>moved</c>: the
    /// session's relay died or is draining and another took it. On <c>ready</c> and <c>moved</c> clients fetch a new relay
    /// grant and publish / subscribe again (through the same relay base URL).
    /// </summary>
    /// <param name="Session">The session.</param>
    /// <param name="State">The wire name of a <see cref="RelayStates"/> value.</param>
    public sealed record SessionRelay(Guid Session, string State) : WireMessage(Actions.SessionRelay)
    {
        /// <summary>The relay that owns the session now (ready, moved).</summary>
        public string? RelayId { get; init; }

        /// <summary>While starting: about how many seconds until a relay is ready.</summary>
        public int? EtaSeconds { get; init; }
    }
}
