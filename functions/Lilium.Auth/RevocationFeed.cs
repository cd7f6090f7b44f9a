using System.Text.Json.Serialization;
using Lilium.Protocol;

namespace Lilium.Auth;

/// <summary>
/// The control plane's answer to a relay's poll (<c>GET /v1/relay/revocations?since={unix ms}</c>): what to undo, and the
/// server's clock (<see cref="Now"/>, unix ms) to ask from next time. One definition, used by the API and the relay.
/// </summary>
public sealed record RevocationFeedPage(
    [property: JsonPropertyName("now")] long Now,
    [property: JsonPropertyName("entries")] RevocationFeedEntry[] Entries);

/// <summary>One revocation; see <see cref="RevocationKinds"/>. <see cref="Permissions"/> are <see cref="InputPermissions"/> bits.</summary>
public sealed record RevocationFeedEntry(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("session")] Guid? Session,
    [property: JsonPropertyName("host")] Guid? Host,
    [property: JsonPropertyName("user")] Guid? User,
    [property: JsonPropertyName("permissions")] int? Permissions,
    [property: JsonPropertyName("at")] long At);

/// <summary>The <c>kind</c> values of <see cref="RevocationFeedEntry"/>.</summary>
public static class RevocationKinds
{
    /// <summary>Close every peer of <c>session</c>; refuse its grants.</summary>
    public const string SessionEnded = "session-ended";

    /// <summary>Close <c>user</c>'s viewer peers in <c>session</c>; refuse their grants issued until then.</summary>
    public const string Removed = "removed";

    /// <summary><c>user</c>'s input in sessions <c>host</c> publishes becomes <c>permissions</c>.</summary>
    public const string Permissions = "permissions";

    /// <summary>Close every peer of <c>user</c> (their login was revoked); refuse their grants issued until then.</summary>
    public const string UserRevoked = "user-revoked";
}

/// <summary>
/// A relay reports that a viewer left on their own (<c>POST /v1/relay/departures</c>): the participation ends — unless
/// the viewer was admitted again after the departed peer's grant was issued (<c>grant_iat_ms</c>): a report that
/// arrives after a quick rejoin must not end the new participation.
/// </summary>
public sealed record RelayDeparture(
    [property: JsonPropertyName("session")] Guid Session,
    [property: JsonPropertyName("user")] Guid User,
    [property: JsonPropertyName("grant_iat_ms")] long? GrantIssuedMs = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RevocationFeedPage))]
[JsonSerializable(typeof(RelayDeparture))]
public sealed partial class RevocationFeedJsonContext : JsonSerializerContext;
