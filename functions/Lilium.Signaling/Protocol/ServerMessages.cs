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

    public static byte[] Build(string action, string? id, JsonObject fields)
    {
        var o = new JsonObject { ["v"] = ClientMessage.CurrentVersion, ["action"] = action };
        if (id is not null)
        {
            o["id"] = id;
        }

        foreach (var (key, value) in fields.ToList())
        {
            fields.Remove(key);
            o[key] = value;
        }

        // JsonNode.WriteTo is trim-safe; JsonSerializer over a JsonObject is not.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            o.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
