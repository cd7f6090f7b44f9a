using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using Lilium.Input;
using Lilium.Protocol.Control;
using Lilium.Protocol.Signaling;

namespace Lilium.Protocol.Tests;

/// <summary>
/// Generates <c>client-sdk/protocol/lilium-protocol.schema.json</c> (JSON Schema draft 2020-12) from the protocol
/// types, for clients in other languages (the TypeScript SDK). <c>make protocol-schema</c> rewrites the committed file;
/// <see cref="ProtocolSchemaTests"/> fails while it differs from what the code generates.
/// </summary>
internal static class ProtocolSchema
{
    public const string RelativePath = "client-sdk/protocol/lilium-protocol.schema.json";

    private static readonly JsonSchemaExporterOptions Exporter = new()
    {
        TreatNullObliviousAsNonNullable = true,
        TransformSchemaNode = static (context, node) =>
            context.TypeInfo.Type == typeof(PermissionSet) && context.Path.Length > 0
                ? new JsonObject { ["$ref"] = "#/$defs/PermissionSet" }
                : node,
    };

    public static string Generate()
    {
        var defs = new JsonObject();
        var clientRefs = new JsonArray();
        foreach (var action in SignalingProtocol.ClientActions)
        {
            var name = "toServer." + action;
            defs[name] = Message(SignalingJson.ToServerType(action)!, action, fromServer: false);
            clientRefs.Add(new JsonObject { ["$ref"] = "#/$defs/" + name });
        }

        var serverRefs = new JsonArray();
        foreach (var action in SignalingProtocol.ServerActions)
        {
            var name = "toClient." + action;
            defs[name] = Message(SignalingJson.ToClientType(action)!, action, fromServer: true);
            serverRefs.Add(new JsonObject { ["$ref"] = "#/$defs/" + name });
        }

        defs["ClientMessage"] = new JsonObject
        {
            ["description"] = "Any signaling message a client sends (one WebSocket text frame).",
            ["oneOf"] = clientRefs,
        };
        defs["ServerMessage"] = new JsonObject
        {
            ["description"] = "Any signaling message the server sends.",
            ["oneOf"] = serverRefs,
        };
        defs["PermissionSet"] = Schema(ProtocolJsonContext.Default.PermissionSet);
        defs["PermissionSet"]!["description"] = "The one JSON form of an input grant; an absent flag is false.";
        defs["ErrorCode"] = new JsonObject
        {
            ["description"] = "The `code` of every error: REST and relay problem details, signaling `error`, control `error`.",
            ["enum"] = Strings(ErrorCodes.All.Select(e => e.Name)),
            ["x-lilium-errors"] = new JsonArray([.. ErrorCodes.All.Select(e => (JsonNode)new JsonObject
            {
                ["code"] = e.Name,
                ["status"] = e.Status,
                ["title"] = e.Title,
            })]),
        };
        defs["DenialReason"] = new JsonObject
        {
            ["description"] = "The `reason` of `join.denied`, in the order the server checks them.",
            ["enum"] = Strings(DenialReasons.All),
        };
        defs["EndReason"] = new JsonObject
        {
            ["description"] = "The `reason` of `session.ended`.",
            ["enum"] = Strings(EndReasons.All),
        };
        defs["LeaveReason"] = new JsonObject
        {
            ["description"] = "The `reason` of `session.left`.",
            ["enum"] = Strings(LeaveReasons.All),
        };
        defs["RelayState"] = new JsonObject
        {
            ["description"] = "The `state` of `session.relay` and of the REST answers' `relay` object.",
            ["enum"] = Strings(RelayStates.All),
        };

        var control = Schema(ProtocolJsonContext.Default.ControlMessage);
        control["description"] = $"One text message on a host's or a viewer's `{DataChannels.ControlLabel}` data channel ({DataChannels.ControlProtocol}); which fields it carries depends on `type`.";
        control["properties"]!["type"] = new JsonObject { ["enum"] = Strings(ControlTypes.All) };
        control["properties"]!["code"] = new JsonObject { ["$ref"] = "#/$defs/ErrorCode" };
        foreach (var side in new[] { "maxWidth", "maxHeight" })
        {
            control["properties"]![side]!["minimum"] = 1;
            control["properties"]![side]!["maximum"] = ControlMessage.MaxVideoSide;
        }

        control["x-lilium-to-relay"] = Strings(ControlTypes.ToRelay);
        control["x-lilium-to-host"] = Strings(ControlTypes.ToHost);
        control["x-lilium-from-viewer"] = Strings(ControlTypes.FromViewer);
        control["x-lilium-to-viewer"] = Strings(ControlTypes.ToViewer);
        defs["ControlMessage"] = control;

        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = "urn:lilium:protocol:" + SignalingProtocol.Version,
            ["title"] = "LiliumShare wire protocol",
            ["description"] = "Generated from client-sdk/Lilium.Protocol by `make protocol-schema`; do not edit. See docs/signaling.md and docs/input.md.",
            ["x-lilium-signaling"] = new JsonObject
            {
                ["version"] = SignalingProtocol.Version,
                ["subprotocol"] = SignalingProtocol.Subprotocol,
                ["maxIdLength"] = SignalingProtocol.MaxIdLength,
                ["clientActions"] = Strings(SignalingProtocol.ClientActions),
                ["serverActions"] = Strings(SignalingProtocol.ServerActions),
            },
            ["x-lilium-data-channels"] = new JsonObject
            {
                ["input"] = new JsonObject { ["label"] = DataChannels.InputLabel, ["protocol"] = DataChannels.InputProtocol },
                ["control"] = new JsonObject
                {
                    ["label"] = DataChannels.ControlLabel,
                    ["protocol"] = DataChannels.ControlProtocol,
                    ["maxMessageBytes"] = DataChannels.MaxControlMessageBytes,
                },
            },
            ["x-lilium-input"] = Input(),
            ["$defs"] = defs,
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    private static JsonObject Message(JsonTypeInfo type, string action, bool fromServer)
    {
        var schema = Schema(type);
        var properties = schema["properties"]!.AsObject();
        properties["v"] = new JsonObject { ["const"] = SignalingProtocol.Version };
        properties["action"] = new JsonObject { ["const"] = action };
        properties["id"] = new JsonObject { ["type"] = "string", ["maxLength"] = SignalingProtocol.MaxIdLength };
        if (properties["candidate"] is not null)
        {
            properties["candidate"] = new JsonObject
            {
                ["description"] = "A candidate string, an RTCIceCandidateInit object, or null for the end of candidates.",
                ["type"] = new JsonArray("string", "object", "null"),
            };
        }

        if (action == Actions.Error)
        {
            properties["code"] = new JsonObject { ["$ref"] = "#/$defs/ErrorCode" };
        }
        else if (action == Actions.JoinDenied)
        {
            properties["reason"] = new JsonObject { ["$ref"] = "#/$defs/DenialReason" };
        }
        else if (action == Actions.SessionEnded)
        {
            properties["reason"] = new JsonObject { ["$ref"] = "#/$defs/EndReason" };
        }
        else if (action == Actions.SessionLeft)
        {
            properties["reason"] = new JsonObject { ["$ref"] = "#/$defs/LeaveReason" };
        }

        var required = new JsonArray(fromServer ? ["v", "action"] : (JsonNode[])["action"]);
        foreach (var r in schema["required"]?.AsArray() ?? [])
        {
            required.Add(r!.GetValue<string>());
        }

        schema["required"] = required;
        schema["description"] = (fromServer ? "Server → client: " : "Client → server: ") + action;
        if (!fromServer)
        {
            schema["not"] = new JsonObject { ["required"] = new JsonArray("from") };
        }

        return schema;
    }

    private static JsonObject Schema(JsonTypeInfo type) => type.Options.GetJsonSchemaAsNode(type.Type, Exporter).AsObject();

    private static JsonObject Input()
    {
        var events = new JsonObject();
        foreach (var type in Enum.GetValues<InputEventType>())
        {
            var size = InputWire.SizeOf(type);
            events[type.ToString()] = new JsonObject
            {
                ["value"] = (byte)type,
                ["size"] = size == 0 ? null : size,
            };
        }

        return new JsonObject
        {
            ["description"] = "The binary input events on the `input` data channel (docs/input.md): version, type, sequence (u16 BE), then a fixed-size payload; `size` is the whole event (null: relay → host only, variable).",
            ["version"] = InputWire.Version,
            ["headerSize"] = InputWire.HeaderSize,
            ["maxControllers"] = InputWire.MaxControllers,
            ["forwardedOverhead"] = InputWire.ForwardedOverhead,
            ["eventTypes"] = events,
            ["mouseButtons"] = Values<MouseButton>(b => (byte)b),
            ["controllerButtons"] = Values<ControllerButtons>(b => (ushort)b),
            ["keyModifiers"] = Values<KeyModifiers>(m => (byte)m),
        };
    }

    private static JsonObject Values<T>(Func<T, int> value) where T : struct, Enum
    {
        var o = new JsonObject();
        foreach (var v in Enum.GetValues<T>())
        {
            o[v.ToString()] = value(v);
        }

        return o;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
