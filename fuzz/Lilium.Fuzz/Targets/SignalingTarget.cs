using System.Text;
using Lilium.Protocol.Signaling;
using Lilium.Signaling.Protocol;
using Lilium.Signaling.Sessions;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// A WebSocket signaling message body (docs/signaling.md): UTF-8 text, <see cref="ClientMessage.TryParse"/>
/// (the handler's first step, before any store is touched), then the typed reads the routes make
/// (<see cref="SignalingJson.TryRead{T}"/> of every client message, whatever the action says).
/// </summary>
internal sealed class SignalingTarget : IFuzzTarget
{
    public void Run(ReadOnlySpan<byte> input)
    {
        var json = Encoding.UTF8.GetString(input);
        if (!ClientMessage.TryParse(json, out var message, out _, out _) || message is null)
        {
            return;
        }

        using (message)
        {
            SessionRoutes.Serves(message.Action);
            SignalingJson.ToServerType(message.Action);
            var root = message.Root;
            SignalingJson.TryRead(root, out ToServer.Ping? _);
            SignalingJson.TryRead(root, out ToServer.PresenceList? _);
            SignalingJson.TryRead(root, out ToServer.ChatHello? _);
            SignalingJson.TryRead(root, out ToServer.ChatMsg? _);
            SignalingJson.TryRead(root, out ToServer.ChatAck? _);
            SignalingJson.TryRead(root, out ToServer.JoinRequest? _);
            SignalingJson.TryRead(root, out ToServer.JoinAccept? _);
            SignalingJson.TryRead(root, out ToServer.JoinDecline? _);
            SignalingJson.TryRead(root, out ToServer.RtcOffer? _);
            SignalingJson.TryRead(root, out ToServer.RtcAnswer? _);
            SignalingJson.TryRead(root, out ToServer.RtcIce? _);
            SignalingJson.TryRead(root, out ToServer.GrantUpdate? _);
            SignalingJson.TryRead(root, out ToServer.SessionEnd? _);
            SignalingJson.TryRead(root, out ToServer.SessionKick? _);
        }
    }
}
