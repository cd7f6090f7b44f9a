using System.Text.Json;
using System.Text.Json.Nodes;

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

    /// <summary><c>{"v":1,"action":…,"id":…}</c> followed by <paramref name="fields"/> in order, as UTF-8.</summary>
    public static byte[] Build(string action, string? id, JsonObject fields)
    {
        // Written field by field (JsonNode.WriteTo is trim-safe; JsonSerializer over a JsonObject is not).
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", ClientMessage.CurrentVersion);
            writer.WriteString("action", action);
            if (id is not null)
            {
                writer.WriteString("id", id);
            }

            foreach (var (key, value) in fields)
            {
                if (key is "v" or "action" || (key == "id" && id is not null))
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

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
