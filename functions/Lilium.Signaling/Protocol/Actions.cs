namespace Lilium.Signaling.Protocol;

/// <summary>The <c>action</c> values of protocol version 1 (docs/signaling.md).</summary>
public static class Actions
{
    public const string Ping = "ping";
    public const string Pong = "pong";
    public const string Error = "error";
    public const string Presence = "presence";
    public const string PresenceList = "presence.list";
    public const string ChatHello = "chat.hello";
    public const string ChatAck = "chat.ack";
    public const string ChatMsg = "chat.msg";
    public const string ChatReceipt = "chat.receipt";

    public const string JoinRequest = "join.request";
    public const string JoinPending = "join.pending";
    public const string JoinIncoming = "join.incoming";
    public const string JoinAccept = "join.accept";
    public const string JoinDecline = "join.decline";
    public const string JoinAccepted = "join.accepted";
    public const string JoinDeclined = "join.declined";
    public const string JoinDenied = "join.denied";

    public const string RtcOffer = "rtc.offer";
    public const string RtcAnswer = "rtc.answer";
    public const string RtcIce = "rtc.ice";
    public const string RtcSent = "rtc.sent";

    public const string GrantUpdate = "grant.update";
    public const string GrantUpdated = "grant.updated";

    public const string SessionEnd = "session.end";
    public const string SessionEnded = "session.ended";
    public const string SessionKick = "session.kick";
    public const string SessionKicked = "session.kicked";
    public const string SessionLeft = "session.left";
}
