using System.Text;
using Lilium.Signaling.Protocol;
using Lilium.Signaling.Sessions;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// A WebSocket signaling message body (docs/signaling.md): UTF-8 text, <see cref="ClientMessage.TryParse"/>
/// (the handler's first step, before any store is touched), then the field reads the routes make.
/// </summary>
internal sealed class SignalingTarget : IFuzzTarget
{
    private static readonly string[] Fields = ["id", "action", "to", "from", "sessionId", "requestId", "session", "sdp", "candidate", "payload", "text", "reason"];

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
            foreach (var field in Fields)
            {
                message.String(field);
                message.Has(field);
                message.TryGuid(field, out _);
            }
        }
    }
}
