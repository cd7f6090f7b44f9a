using System.Text.Json;
using System.Text.Json.Nodes;
using CommunityToolkit.HighPerformance.Buffers;

namespace Lilium.Signaling.Protocol;

/// <summary>Builds the UTF-8 JSON the server sends; every message carries <c>v</c> and <c>action</c>.</summary>
public static class ServerMessages
{
    public static byte[] Error(string code, string message, string? id = null) =>
        Build(Actions.Error, id, new JsonObject { ["code"] = code, ["message"] = message });

    public static byte[] Pong(string? id) => Build(Actions.Pong, id, []);

    public static byte[] Presence(Guid user, bool online) =>
        Build(Actions.Presence, null, new JsonObject { ["user"] = user.ToString(), ["online"] = online });

    public static byte[] PresenceList(string? id, IEnumerable<Guid> online) =>
        Build(Actions.PresenceList, id, new JsonObject { ["online"] = new JsonArray([.. online.Select(g => (JsonNode)g.ToString())]) });

    /// <summary>
    /// A <c>chat.hello</c> / <c>chat.msg</c> / <c>chat.ack</c> as forwarded to the friend: <c>from</c>, the payload
    /// under <paramref name="field"/>, and <c>msgId</c> when given. The hot path of the protocol, so written directly.
    /// </summary>
    public static byte[] ChatForward(string action, Guid from, string field, string payload, string? msgId) =>
        Write(action, null, (from, field, payload, msgId), static (writer, s) =>
        {
            writer.WriteString("from", s.from);
            writer.WriteString(s.field, s.payload);
            if (s.msgId is not null)
            {
                writer.WriteString("msgId", s.msgId);
            }
        });

    /// <summary>The sender's <c>chat.receipt</c>: how many of the friend's devices the message reached.</summary>
    public static byte[] ChatReceipt(string? id, Guid to, int delivered) =>
        Write(Actions.ChatReceipt, id, (to, delivered), static (writer, s) =>
        {
            writer.WriteString("to", s.to);
            writer.WriteNumber("delivered", s.delivered);
        });

    /// <summary><c>{"v":1,"action":…,"id":…}</c> followed by <paramref name="fields"/> in order, as UTF-8.</summary>
    public static byte[] Build(string action, string? id, JsonObject fields) =>
        Write(action, id, (fields, id), static (writer, s) =>
        {
            // Field by field (JsonNode.WriteTo is trim-safe; JsonSerializer over a JsonObject is not).
            foreach (var (key, value) in s.fields)
            {
                if (key is "v" or "action" || (key == "id" && s.id is not null))
                {
                    continue; // never a member twice
                }

                writer.WritePropertyName(key);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    value.WriteTo(writer);
                }
            }
        });

    private static byte[] Write<TState>(string action, string? id, TState state, Action<Utf8JsonWriter, TState> fields)
    {
        // A pooled scratch buffer: the writer reserves up to six bytes per character of a string it may have to
        // escape (a 32 KB ciphertext asks for ~200 KB), which a growing array would allocate on every message.
        using var buffer = new ArrayPoolBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", ClientMessage.CurrentVersion);
            writer.WriteString("action", action);
            if (id is not null)
            {
                writer.WriteString("id", id);
            }

            fields(writer, state);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
