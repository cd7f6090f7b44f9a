using System.Text.Json.Serialization;
using Lilium.Protocol;

namespace Lilium.Auth;

/// <summary>The kinds of signed token; each is signed with its own key.</summary>
public enum TokenKind
{
    /// <summary>A user's short-lived bearer token for the REST API and the WebSocket API.</summary>
    Access,
    /// <summary>A long-lived token that trades for a new access token.</summary>
    Refresh,
    /// <summary>A grant the media relay verifies: session, role and input permissions.</summary>
    Relay,
    /// <summary>
    /// A relay task's own short-lived credential for the control plane's revocations feed, signed with the relay key
    /// (the one key the relay holds); the kind inside the MAC keeps it from ever passing as a grant, and the reverse.
    /// </summary>
    RelayService,
}

public enum RelayRole
{
    Host,
    Viewer,
}

/// <summary>Claims common to every token. Times are Unix seconds.</summary>
public abstract record TokenClaims
{
    [JsonPropertyName("sub")] public required Guid Subject { get; init; }
    [JsonPropertyName("iat")] public required long IssuedAt { get; init; }
    [JsonPropertyName("exp")] public required long ExpiresAt { get; init; }
    [JsonPropertyName("jti")] public string Id { get; init; } = Guid.NewGuid().ToString("N");

    [JsonIgnore] public abstract TokenKind Kind { get; }
}

public sealed record AccessClaims : TokenClaims
{
    [JsonPropertyName("nick")] public required string Nickname { get; init; }
    public override TokenKind Kind => TokenKind.Access;
}

public sealed record RefreshClaims : TokenClaims
{
    /// <summary>The refresh family; revoking it in the database invalidates every refresh token of a login.</summary>
    [JsonPropertyName("fam")] public required Guid Family { get; init; }
    public override TokenKind Kind => TokenKind.Refresh;
}

public sealed record RelayGrantClaims : TokenClaims
{
    [JsonPropertyName("sid")] public required Guid SessionId { get; init; }
    [JsonPropertyName("role")] public required RelayRole Role { get; init; }
    [JsonPropertyName("perm")] public InputPermissions Permissions { get; init; }

    /// <summary>
    /// When the grant was issued, in Unix milliseconds (0 in grants that predate it): the relay compares it with a
    /// removal's time, so a viewer who leaves and is admitted again within the same second is not refused.
    /// </summary>
    [JsonPropertyName("iat_ms")] public long IssuedAtMs { get; init; }

    /// <summary>
    /// The relay that owns the session (FLEET-CONTRACT §2): a relay receiving this grant for a WHIP/WHEP request
    /// forwards it to that relay. Null (grants of single-relay setups and older grants): any relay serves it.
    /// </summary>
    [JsonPropertyName("rid")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? RelayId { get; init; }

    public override TokenKind Kind => TokenKind.Relay;
}

/// <summary>A relay task asking the control plane for revocations; <c>sub</c> is the task's random instance id.</summary>
public sealed record RelayServiceClaims : TokenClaims
{
    public override TokenKind Kind => TokenKind.RelayService;
}

[JsonSourceGenerationOptions(UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(AccessClaims))]
[JsonSerializable(typeof(RefreshClaims))]
[JsonSerializable(typeof(RelayGrantClaims))]
[JsonSerializable(typeof(RelayServiceClaims))]
internal sealed partial class TokenJsonContext : JsonSerializerContext;
