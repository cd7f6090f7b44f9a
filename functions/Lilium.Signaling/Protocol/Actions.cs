namespace Lilium.Signaling.Protocol;

/// <summary>The <c>action</c> values of protocol version 1.</summary>
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

    /// <summary>Routes of the protocol that are specified but not implemented by this server yet.</summary>
    public static readonly IReadOnlySet<string> Planned = new HashSet<string>(StringComparer.Ordinal)
    {
        "join.request", "join.accept", "join.decline", "rtc.offer", "rtc.answer", "rtc.ice", "grant.update",
    };
}
