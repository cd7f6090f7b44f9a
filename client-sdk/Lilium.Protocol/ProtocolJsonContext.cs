using System.Text.Json.Serialization;

namespace Lilium.Protocol;

/// <summary>The source-generated serializers of every protocol type.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    MaxDepth = 8)]
[JsonSerializable(typeof(PermissionSet))]
[JsonSerializable(typeof(Signaling.ToServer.Ping), TypeInfoPropertyName = "ToServerPing")]
[JsonSerializable(typeof(Signaling.ToServer.PresenceList), TypeInfoPropertyName = "ToServerPresenceList")]
[JsonSerializable(typeof(Signaling.ToServer.ChatHello), TypeInfoPropertyName = "ToServerChatHello")]
[JsonSerializable(typeof(Signaling.ToServer.ChatMsg), TypeInfoPropertyName = "ToServerChatMsg")]
[JsonSerializable(typeof(Signaling.ToServer.ChatAck), TypeInfoPropertyName = "ToServerChatAck")]
[JsonSerializable(typeof(Signaling.ToServer.JoinRequest), TypeInfoPropertyName = "ToServerJoinRequest")]
[JsonSerializable(typeof(Signaling.ToServer.JoinAccept), TypeInfoPropertyName = "ToServerJoinAccept")]
[JsonSerializable(typeof(Signaling.ToServer.JoinDecline), TypeInfoPropertyName = "ToServerJoinDecline")]
[JsonSerializable(typeof(Signaling.ToServer.RtcOffer), TypeInfoPropertyName = "ToServerRtcOffer")]
[JsonSerializable(typeof(Signaling.ToServer.RtcAnswer), TypeInfoPropertyName = "ToServerRtcAnswer")]
[JsonSerializable(typeof(Signaling.ToServer.RtcIce), TypeInfoPropertyName = "ToServerRtcIce")]
[JsonSerializable(typeof(Signaling.ToServer.GrantUpdate), TypeInfoPropertyName = "ToServerGrantUpdate")]
[JsonSerializable(typeof(Signaling.ToServer.SessionEnd), TypeInfoPropertyName = "ToServerSessionEnd")]
[JsonSerializable(typeof(Signaling.ToServer.SessionKick), TypeInfoPropertyName = "ToServerSessionKick")]
[JsonSerializable(typeof(Signaling.ToClient.Pong), TypeInfoPropertyName = "ToClientPong")]
[JsonSerializable(typeof(Signaling.ToClient.Error), TypeInfoPropertyName = "ToClientError")]
[JsonSerializable(typeof(Signaling.ToClient.Presence), TypeInfoPropertyName = "ToClientPresence")]
[JsonSerializable(typeof(Signaling.ToClient.PresenceList), TypeInfoPropertyName = "ToClientPresenceList")]
[JsonSerializable(typeof(Signaling.ToClient.ChatHello), TypeInfoPropertyName = "ToClientChatHello")]
[JsonSerializable(typeof(Signaling.ToClient.ChatMsg), TypeInfoPropertyName = "ToClientChatMsg")]
[JsonSerializable(typeof(Signaling.ToClient.ChatAck), TypeInfoPropertyName = "ToClientChatAck")]
[JsonSerializable(typeof(Signaling.ToClient.ChatReceipt), TypeInfoPropertyName = "ToClientChatReceipt")]
[JsonSerializable(typeof(Signaling.ToClient.JoinPending), TypeInfoPropertyName = "ToClientJoinPending")]
[JsonSerializable(typeof(Signaling.ToClient.JoinIncoming), TypeInfoPropertyName = "ToClientJoinIncoming")]
[JsonSerializable(typeof(Signaling.ToClient.JoinAccepted), TypeInfoPropertyName = "ToClientJoinAccepted")]
[JsonSerializable(typeof(Signaling.ToClient.JoinDeclined), TypeInfoPropertyName = "ToClientJoinDeclined")]
[JsonSerializable(typeof(Signaling.ToClient.JoinDenied), TypeInfoPropertyName = "ToClientJoinDenied")]
[JsonSerializable(typeof(Signaling.ToClient.RtcOffer), TypeInfoPropertyName = "ToClientRtcOffer")]
[JsonSerializable(typeof(Signaling.ToClient.RtcAnswer), TypeInfoPropertyName = "ToClientRtcAnswer")]
[JsonSerializable(typeof(Signaling.ToClient.RtcIce), TypeInfoPropertyName = "ToClientRtcIce")]
[JsonSerializable(typeof(Signaling.ToClient.RtcSent), TypeInfoPropertyName = "ToClientRtcSent")]
[JsonSerializable(typeof(Signaling.ToClient.GrantUpdated), TypeInfoPropertyName = "ToClientGrantUpdated")]
[JsonSerializable(typeof(Signaling.ToClient.SessionEnded), TypeInfoPropertyName = "ToClientSessionEnded")]
[JsonSerializable(typeof(Signaling.ToClient.SessionKicked), TypeInfoPropertyName = "ToClientSessionKicked")]
[JsonSerializable(typeof(Signaling.ToClient.SessionLeft), TypeInfoPropertyName = "ToClientSessionLeft")]
[JsonSerializable(typeof(Signaling.ToClient.SessionRelay), TypeInfoPropertyName = "ToClientSessionRelay")]
[JsonSerializable(typeof(Control.ControlMessage))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
