using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Lilium.Protocol.Signaling;

/// <summary>Reads and writes <see cref="WireMessage"/>s with source-generated JSON (no reflection).</summary>
public static class SignalingJson
{
    /// <summary>The message type of a client → server <paramref name="action"/>, or null for an unknown one.</summary>
    public static JsonTypeInfo? ToServerType(string action) => action switch
    {
        Actions.Ping => ProtocolJsonContext.Default.ToServerPing,
        Actions.PresenceList => ProtocolJsonContext.Default.ToServerPresenceList,
        Actions.ChatHello => ProtocolJsonContext.Default.ToServerChatHello,
        Actions.ChatMsg => ProtocolJsonContext.Default.ToServerChatMsg,
        Actions.ChatAck => ProtocolJsonContext.Default.ToServerChatAck,
        Actions.JoinRequest => ProtocolJsonContext.Default.ToServerJoinRequest,
        Actions.JoinAccept => ProtocolJsonContext.Default.ToServerJoinAccept,
        Actions.JoinDecline => ProtocolJsonContext.Default.ToServerJoinDecline,
        Actions.RtcOffer => ProtocolJsonContext.Default.ToServerRtcOffer,
        Actions.RtcAnswer => ProtocolJsonContext.Default.ToServerRtcAnswer,
        Actions.RtcIce => ProtocolJsonContext.Default.ToServerRtcIce,
        Actions.GrantUpdate => ProtocolJsonContext.Default.ToServerGrantUpdate,
        Actions.SessionEnd => ProtocolJsonContext.Default.ToServerSessionEnd,
        Actions.SessionKick => ProtocolJsonContext.Default.ToServerSessionKick,
        _ => null,
    };

    /// <summary>The message type of a server → client <paramref name="action"/>, or null for an unknown one.</summary>
    public static JsonTypeInfo? ToClientType(string action) => action switch
    {
        Actions.Pong => ProtocolJsonContext.Default.ToClientPong,
        Actions.Error => ProtocolJsonContext.Default.ToClientError,
        Actions.Presence => ProtocolJsonContext.Default.ToClientPresence,
        Actions.PresenceList => ProtocolJsonContext.Default.ToClientPresenceList,
        Actions.ChatHello => ProtocolJsonContext.Default.ToClientChatHello,
        Actions.ChatMsg => ProtocolJsonContext.Default.ToClientChatMsg,
        Actions.ChatAck => ProtocolJsonContext.Default.ToClientChatAck,
        Actions.ChatReceipt => ProtocolJsonContext.Default.ToClientChatReceipt,
        Actions.JoinPending => ProtocolJsonContext.Default.ToClientJoinPending,
        Actions.JoinIncoming => ProtocolJsonContext.Default.ToClientJoinIncoming,
        Actions.JoinAccepted => ProtocolJsonContext.Default.ToClientJoinAccepted,
        Actions.JoinDeclined => ProtocolJsonContext.Default.ToClientJoinDeclined,
        Actions.JoinDenied => ProtocolJsonContext.Default.ToClientJoinDenied,
        Actions.RtcOffer => ProtocolJsonContext.Default.ToClientRtcOffer,
        Actions.RtcAnswer => ProtocolJsonContext.Default.ToClientRtcAnswer,
        Actions.RtcIce => ProtocolJsonContext.Default.ToClientRtcIce,
        Actions.RtcSent => ProtocolJsonContext.Default.ToClientRtcSent,
        Actions.GrantUpdated => ProtocolJsonContext.Default.ToClientGrantUpdated,
        Actions.SessionEnded => ProtocolJsonContext.Default.ToClientSessionEnded,
        Actions.SessionKicked => ProtocolJsonContext.Default.ToClientSessionKicked,
        Actions.SessionLeft => ProtocolJsonContext.Default.ToClientSessionLeft,
        Actions.SessionRelay => ProtocolJsonContext.Default.ToClientSessionRelay,
        _ => null,
    };

    /// <summary>The message as UTF-8 JSON, <c>v</c> and <c>action</c> first.</summary>
    public static byte[] ToUtf8(WireMessage message) =>
        JsonSerializer.SerializeToUtf8Bytes(message, ProtocolJsonContext.Default.GetTypeInfo(message.GetType())
            ?? throw new ArgumentException($"{message.GetType()} is not a protocol message.", nameof(message)));

    /// <summary>Writes the message to <paramref name="writer"/> (for callers with a pooled buffer).</summary>
    public static void Write(Utf8JsonWriter writer, WireMessage message) =>
        JsonSerializer.Serialize(writer, message, ProtocolJsonContext.Default.GetTypeInfo(message.GetType())
            ?? throw new ArgumentException($"{message.GetType()} is not a protocol message.", nameof(message)));

    /// <summary>
    /// Reads a message object as <typeparamref name="T"/>; false (never an exception) when a field is missing, null
    /// where it may not be, or of the wrong type.
    /// </summary>
    public static bool TryRead<T>(JsonElement json, [NotNullWhen(true)] out T? message)
        where T : WireMessage
    {
        message = null;
        if (json.ValueKind != JsonValueKind.Object || ProtocolJsonContext.Default.GetTypeInfo(typeof(T)) is not JsonTypeInfo<T> type)
        {
            return false;
        }

        try
        {
            message = json.Deserialize(type);
            return message is not null;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
