using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Protocol.Control;

/// <summary>The data channels a peer opens to the relay (docs/input.md).</summary>
public static class DataChannels
{
    /// <summary>The input channel's label: binary input events (viewer → relay → host, in Forwarded envelopes).</summary>
    public const string InputLabel = "input";

    /// <summary>The input channel's protocol.</summary>
    public const string InputProtocol = "lilium-input/1";

    /// <summary>
    /// The control channel's label: JSON <see cref="ControlMessage"/>s — a host's (grants, viewers coming and going) and a
    /// viewer's (its video hint).
    /// </summary>
    public const string ControlLabel = "control";

    /// <summary>The control channel's protocol.</summary>
    public const string ControlProtocol = "lilium-control/1";

    /// <summary>The longest control message the relay reads.</summary>
    public const int MaxControlMessageBytes = 4096;
}

/// <summary>The <c>type</c> values of control messages.</summary>
public static class ControlTypes
{
    /// <summary>Host → relay: set a viewer's grant now.</summary>
    public const string Grant = "grant";

    /// <summary>Relay → host: the grant is in force.</summary>
    public const string GrantApplied = "grant.applied";

    /// <summary>Relay → host: a viewer opened its input channel (or was there when <c>control</c> opened).</summary>
    public const string ViewerJoined = "viewer.joined";

    /// <summary>Relay → host: a viewer's connection ended.</summary>
    public const string ViewerLeft = "viewer.left";

    /// <summary>Viewer → relay: how the viewer shows the video now (paused, visible size); replaces the previous hint.</summary>
    public const string Video = "video";

    /// <summary>Relay → viewer: the video hint is in force.</summary>
    public const string VideoApplied = "video.applied";

    /// <summary>Relay → host or viewer: the peer's message was refused.</summary>
    public const string Error = "error";

    /// <summary>Host → relay types.</summary>
    public static IReadOnlyList<string> ToRelay { get; } = [Grant];

    /// <summary>Relay → host types.</summary>
    public static IReadOnlyList<string> ToHost { get; } = [GrantApplied, ViewerJoined, ViewerLeft, Error];

    /// <summary>Viewer → relay types.</summary>
    public static IReadOnlyList<string> FromViewer { get; } = [Video];

    /// <summary>Relay → viewer types.</summary>
    public static IReadOnlyList<string> ToViewer { get; } = [VideoApplied, Error];

    /// <summary>Every type, each once.</summary>
    public static IReadOnlyList<string> All { get; } = [.. ToRelay.Concat(ToHost).Concat(FromViewer).Concat(ToViewer).Distinct()];
}

/// <summary>
/// One JSON message on a <c>control</c> data channel (<c>lilium-control/1</c>, docs/input.md), one text message each:
/// the host's, or a viewer's. Which fields a message carries depends on its <see cref="Type"/> (<see cref="ControlTypes"/>).
/// </summary>
public sealed record ControlMessage
{
    /// <summary>The largest <see cref="MaxWidth"/> or <see cref="MaxHeight"/> a video hint may name (pixels).</summary>
    public const int MaxVideoSide = 16_384;

    /// <summary>What the message is (<see cref="ControlTypes"/>).</summary>
    public required string Type { get; init; }

    /// <summary>grant, grant.applied, viewer.joined, viewer.left: the viewer's user id.</summary>
    public Guid? Viewer { get; init; }

    /// <summary>viewer.joined, viewer.left: the relay's id of the viewer's connection.</summary>
    public Guid? Peer { get; init; }

    /// <summary>grant, grant.applied, viewer.joined: the viewer's grant.</summary>
    public PermissionSet? Permissions { get; init; }

    /// <summary>grant.applied: how many of the viewer's connected peers the change reached now.</summary>
    public int? Peers { get; init; }

    /// <summary>grant.applied: key-ups, button-ups and neutral controller states sent to the host.</summary>
    public int? Released { get; init; }

    /// <summary>error: the wire name of an <see cref="ErrorCode"/>.</summary>
    public string? Code { get; init; }

    /// <summary>error: what was wrong, for a person.</summary>
    public string? Detail { get; init; }

    /// <summary>video, video.applied: true while the viewer shows no video (hidden tab, scrolled away); absent = false.</summary>
    public bool? Paused { get; init; }

    /// <summary>
    /// video, video.applied: the width the video is shown at (device pixels, 1–<see cref="MaxVideoSide"/>); absent = no
    /// limit. With <see cref="MaxHeight"/>, the box the picture is fitted into, keeping its aspect ratio.
    /// </summary>
    public int? MaxWidth { get; init; }

    /// <summary>video, video.applied: the height the video is shown at (device pixels, 1–<see cref="MaxVideoSide"/>); absent = no limit.</summary>
    public int? MaxHeight { get; init; }

    /// <summary>A video hint (viewer → relay), or its answer (<see cref="ControlTypes.VideoApplied"/>).</summary>
    public static ControlMessage VideoHint(string type, bool paused, int? maxWidth, int? maxHeight) =>
        new() { Type = type, Paused = paused, MaxWidth = maxWidth, MaxHeight = maxHeight };

    /// <summary>Why a <see cref="ControlTypes.Video"/> message is refused (for its <c>error</c>), or null when it is valid.</summary>
    public string? VideoProblem()
    {
        if (MaxWidth is < 1 or > MaxVideoSide || MaxHeight is < 1 or > MaxVideoSide)
        {
            return $"video: maxWidth and maxHeight are whole numbers of pixels from 1 to {MaxVideoSide}, or absent for no limit.";
        }

        return null;
    }

    /// <summary>A grant-carrying message (grant, grant.applied, viewer.joined).</summary>
    public static ControlMessage WithPermissions(string type, Guid viewer, InputPermissions permissions) =>
        new() { Type = type, Viewer = viewer, Permissions = PermissionSet.From(permissions) };

    /// <summary>An error message.</summary>
    public static ControlMessage Failure(ErrorCode code, string detail) => new() { Type = ControlTypes.Error, Code = code.WireName(), Detail = detail };

    /// <summary>Parses a message; null (never an exception) for anything that is not a JSON object of this shape.</summary>
    public static ControlMessage? TryParse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > DataChannels.MaxControlMessageBytes)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(utf8, ProtocolJsonContext.Default.ControlMessage);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The message as JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ProtocolJsonContext.Default.ControlMessage);
}
