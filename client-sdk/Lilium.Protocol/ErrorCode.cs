namespace Lilium.Protocol;

/// <summary>
/// Every machine-readable error code, on every surface: the <c>code</c> of the REST API's and the relay's RFC 9457
/// problem details, of signaling <c>error</c> messages and of control-channel <c>error</c> messages. The wire name
/// and HTTP status of each are in <see cref="ErrorCodes"/>; codes are lower-case words joined by hyphens.
/// </summary>
public enum ErrorCode
{
    // Any surface.
    /// <summary>The body is not JSON, or not a JSON object.</summary>
    BadJson,
    /// <summary>A field is missing, of the wrong type or out of range; the message names it.</summary>
    BadRequest,
    /// <summary>The request body or a message field is larger than allowed.</summary>
    TooLarge,
    /// <summary>Too many requests or messages; slow down.</summary>
    RateLimited,
    /// <summary>A fault on our side; the request may be retried.</summary>
    InternalError,
    /// <summary>No credentials, or credentials of the wrong kind.</summary>
    Unauthenticated,
    /// <summary>The credentials are valid but do not allow this.</summary>
    Forbidden,
    /// <summary>No such resource.</summary>
    NotFound,
    /// <summary>The service cannot answer now; retry later.</summary>
    Unavailable,

    // Signaling.
    /// <summary>The message's <c>action</c> is not one of the protocol's client actions.</summary>
    UnknownAction,
    /// <summary>The message's <c>v</c> is not a protocol version this server speaks.</summary>
    UnsupportedVersion,
    /// <summary>A client set <c>from</c>, which only the server fills in.</summary>
    Impersonation,
    /// <summary>The addressed user is not an accepted friend.</summary>
    NotFriends,
    /// <summary>The friend has no open connection.</summary>
    FriendOffline,
    /// <summary>The session peer has no open connection.</summary>
    PeerOffline,
    /// <summary>Both peers must be active members of the session.</summary>
    NotMember,
    /// <summary>Only the session's host may do this.</summary>
    NotHost,
    /// <summary>No pending join request with this id for the caller (answered, expired or unknown).</summary>
    UnknownRequest,
    /// <summary>The host accepted, but the viewer could not be admitted (the viewer got <c>join.denied</c>).</summary>
    JoinFailed,

    // Control channel.
    /// <summary>The control message's <c>type</c> is not one the relay accepts.</summary>
    UnknownType,

    // REST API.
    /// <summary>The request could not be read: not JSON, wrong JSON types, missing required fields.</summary>
    MalformedRequest,
    /// <summary>The request is well-formed but its fields contradict each other.</summary>
    InvalidRequest,
    /// <summary>The HTTP method is not allowed on this path.</summary>
    MethodNotAllowed,
    /// <summary>The request's content type is not the one this endpoint reads.</summary>
    UnsupportedMediaType,
    /// <summary>The client closed the request before the answer.</summary>
    ClientClosedRequest,
    /// <summary>The database cannot be reached now; retry later.</summary>
    DatabaseUnavailable,
    /// <summary>The access or refresh token is malformed, forged, revoked or of the wrong kind.</summary>
    InvalidToken,
    /// <summary>The token has expired; renew it.</summary>
    TokenExpired,
    /// <summary>The refresh token was already used: the whole login is revoked.</summary>
    RefreshReused,
    /// <summary>The login was revoked (logout, or a reused refresh token).</summary>
    RefreshRevoked,
    /// <summary>The login challenge is unknown, used or expired.</summary>
    InvalidChallenge,
    /// <summary>The signature is malformed or does not verify with the user's key.</summary>
    InvalidSignature,
    /// <summary>The public key is not base64 SubjectPublicKeyInfo DER of an ECDSA P-256 key.</summary>
    InvalidPublicKey,
    /// <summary>A signed timestamp is too far from the server's clock (registration proof); fix the clock.</summary>
    ClockSkew,
    /// <summary>The nickname is empty, too long or has forbidden characters.</summary>
    InvalidNickname,
    /// <summary>The fingerprint is not hexadecimal of the right length.</summary>
    InvalidFingerprint,
    /// <summary><c>maxViewers</c> is out of range.</summary>
    InvalidMaxViewers,
    /// <summary><c>maxUses</c> is out of range.</summary>
    InvalidMaxUses,
    /// <summary><c>expiresInSeconds</c> is out of range.</summary>
    InvalidExpiry,
    /// <summary>A search needs a query.</summary>
    MissingQuery,
    /// <summary>A user cannot befriend themselves.</summary>
    SelfRequest,
    /// <summary>A user cannot block themselves.</summary>
    SelfBlock,
    /// <summary>No such user.</summary>
    UserNotFound,
    /// <summary>No pending friend request from this user.</summary>
    RequestNotFound,
    /// <summary>No such friend.</summary>
    FriendNotFound,
    /// <summary>No friendship (of any status) with this user.</summary>
    FriendshipNotFound,
    /// <summary>No such session.</summary>
    SessionNotFound,
    /// <summary>The session has ended.</summary>
    SessionEnded,
    /// <summary>The session has as many viewers as it allows.</summary>
    SessionFull,
    /// <summary>The caller may not join this session.</summary>
    NotAllowed,
    /// <summary>One side has blocked the other.</summary>
    Blocked,
    /// <summary>The host admitted themselves.</summary>
    SelfAdmit,
    /// <summary>The host has not admitted the caller (ask to join, or redeem an invite).</summary>
    NotAdmitted,
    /// <summary>The user is not a viewer in the session.</summary>
    ParticipantNotFound,
    /// <summary>A relay's departure report is not <c>{"session","user"}</c> ids.</summary>
    InvalidDeparture,
    /// <summary>The endpoint is for media relays and the relay service credential is missing or invalid.</summary>
    InvalidRelayCredential,
    /// <summary><c>since</c> is not a Unix time in milliseconds.</summary>
    InvalidSince,
    /// <summary>No such invite.</summary>
    InviteNotFound,
    /// <summary>The invite has expired.</summary>
    InviteExpired,
    /// <summary>The invite has no uses left.</summary>
    InviteExhausted,

    // Media relay (WHIP/WHEP).
    /// <summary>The SDP offer cannot be used.</summary>
    BadSdp,
    /// <summary>The trickle-ICE SDP fragment cannot be used.</summary>
    BadSdpFragment,
    /// <summary>The session already has a live publisher.</summary>
    AlreadyPublishing,
    /// <summary>The session has no live publisher yet.</summary>
    NoPublisher,
    /// <summary>PATCH needs <c>If-Match</c>.</summary>
    PreconditionRequired,
    /// <summary>The ETag is stale.</summary>
    PreconditionFailed,
    /// <summary>ICE restarts are not supported; start a new session.</summary>
    IceRestartUnsupported,
    /// <summary>The relay is shutting down; retry on another.</summary>
    Draining,
    /// <summary>The relay serves its maximum number of peers; retry shortly.</summary>
    RelayFull,
    /// <summary>The user already holds the most peers allowed in this session; close one first.</summary>
    TooManyPeers,
    /// <summary>The viewer's offer has no format that can carry the codec the publisher sends (e.g. H.264 of another profile).</summary>
    CodecUnsupported,

    // The API's local forwarding of /ws, /whip and /whep (`make run`).
    /// <summary>The signaling service behind the API's local forwarding does not answer.</summary>
    SignalingUnavailable,
    /// <summary>
    /// The media relay does not answer: behind the API's local forwarding, or (relay fleet) the relay that owns the
    /// session is not live; retry after <c>Retry-After</c>.
    /// </summary>
    RelayUnavailable,

    // Relay fleet (docs/relay.md).
    /// <summary>No relay is live yet for the session; one is starting. Retry after <c>Retry-After</c>; <c>etaSeconds</c> estimates the wait.</summary>
    RelayStarting,
}

/// <summary>One row of the error table.</summary>
/// <param name="Code">The code.</param>
/// <param name="Name">Its wire name.</param>
/// <param name="Status">The HTTP status a problem with this code carries (and the closest one for WebSocket and data-channel errors).</param>
/// <param name="Title">The problem's <c>title</c>.</param>
public sealed record ErrorCodeInfo(ErrorCode Code, string Name, int Status, string Title);

/// <summary>The error table: wire names and HTTP statuses of every <see cref="ErrorCode"/>.</summary>
public static class ErrorCodes
{
    private static readonly ErrorCodeInfo[] Table =
    [
        new(ErrorCode.BadJson, "bad-json", 400, "Not a JSON object"),
        new(ErrorCode.BadRequest, "bad-request", 400, "Bad request"),
        new(ErrorCode.TooLarge, "too-large", 413, "Too large"),
        new(ErrorCode.RateLimited, "rate-limited", 429, "Too many requests"),
        new(ErrorCode.InternalError, "internal-error", 500, "Internal error"),
        new(ErrorCode.Unauthenticated, "unauthenticated", 401, "Unauthenticated"),
        new(ErrorCode.Forbidden, "forbidden", 403, "Forbidden"),
        new(ErrorCode.NotFound, "not-found", 404, "Not found"),
        new(ErrorCode.Unavailable, "unavailable", 503, "Unavailable"),

        new(ErrorCode.UnknownAction, "unknown-action", 400, "Unknown action"),
        new(ErrorCode.UnsupportedVersion, "unsupported-version", 400, "Unsupported protocol version"),
        new(ErrorCode.Impersonation, "impersonation", 403, "Impersonation"),
        new(ErrorCode.NotFriends, "not-friends", 403, "Not friends"),
        new(ErrorCode.FriendOffline, "friend-offline", 409, "Friend offline"),
        new(ErrorCode.PeerOffline, "peer-offline", 409, "Peer offline"),
        new(ErrorCode.NotMember, "not-member", 403, "Not a member"),
        new(ErrorCode.NotHost, "not-host", 403, "Not the host"),
        new(ErrorCode.UnknownRequest, "unknown-request", 404, "Unknown join request"),
        new(ErrorCode.JoinFailed, "join-failed", 409, "Join failed"),

        new(ErrorCode.UnknownType, "unknown-type", 400, "Unknown control message type"),

        new(ErrorCode.MalformedRequest, "malformed-request", 400, "Malformed request"),
        new(ErrorCode.InvalidRequest, "invalid-request", 400, "Invalid request"),
        new(ErrorCode.MethodNotAllowed, "method-not-allowed", 405, "Method not allowed"),
        new(ErrorCode.UnsupportedMediaType, "unsupported-media-type", 415, "Unsupported media type"),
        new(ErrorCode.ClientClosedRequest, "client-closed-request", 499, "Client closed request"),
        new(ErrorCode.DatabaseUnavailable, "database-unavailable", 503, "Database unavailable"),
        new(ErrorCode.InvalidToken, "invalid-token", 401, "Invalid token"),
        new(ErrorCode.TokenExpired, "token-expired", 401, "Token expired"),
        new(ErrorCode.RefreshReused, "refresh-reused", 401, "Refresh token reused"),
        new(ErrorCode.RefreshRevoked, "refresh-revoked", 401, "Login revoked"),
        new(ErrorCode.InvalidChallenge, "invalid-challenge", 401, "Invalid challenge"),
        new(ErrorCode.InvalidSignature, "invalid-signature", 401, "Invalid signature"),
        new(ErrorCode.InvalidPublicKey, "invalid-public-key", 400, "Invalid public key"),
        new(ErrorCode.ClockSkew, "clock-skew", 400, "Clock skew"),
        new(ErrorCode.InvalidNickname, "invalid-nickname", 400, "Invalid nickname"),
        new(ErrorCode.InvalidFingerprint, "invalid-fingerprint", 400, "Invalid fingerprint"),
        new(ErrorCode.InvalidMaxViewers, "invalid-max-viewers", 400, "Invalid maxViewers"),
        new(ErrorCode.InvalidMaxUses, "invalid-max-uses", 400, "Invalid maxUses"),
        new(ErrorCode.InvalidExpiry, "invalid-expiry", 400, "Invalid expiry"),
        new(ErrorCode.MissingQuery, "missing-query", 400, "Missing query"),
        new(ErrorCode.SelfRequest, "self-request", 400, "Self request"),
        new(ErrorCode.SelfBlock, "self-block", 400, "Self block"),
        new(ErrorCode.UserNotFound, "user-not-found", 404, "User not found"),
        new(ErrorCode.RequestNotFound, "request-not-found", 404, "Friend request not found"),
        new(ErrorCode.FriendNotFound, "friend-not-found", 404, "Friend not found"),
        new(ErrorCode.FriendshipNotFound, "friendship-not-found", 404, "Friendship not found"),
        new(ErrorCode.SessionNotFound, "session-not-found", 404, "Session not found"),
        new(ErrorCode.SessionEnded, "session-ended", 410, "Session ended"),
        new(ErrorCode.SessionFull, "session-full", 409, "Session full"),
        new(ErrorCode.NotAllowed, "not-allowed", 403, "Not allowed"),
        new(ErrorCode.Blocked, "blocked", 403, "Blocked"),
        new(ErrorCode.SelfAdmit, "self-admit", 400, "Self admission"),
        new(ErrorCode.NotAdmitted, "not-admitted", 403, "Not admitted"),
        new(ErrorCode.ParticipantNotFound, "participant-not-found", 404, "Participant not found"),
        new(ErrorCode.InvalidDeparture, "invalid-departure", 400, "Invalid departure"),
        new(ErrorCode.InvalidRelayCredential, "invalid-relay-credential", 401, "Invalid relay credential"),
        new(ErrorCode.InvalidSince, "invalid-since", 400, "Invalid since"),
        new(ErrorCode.InviteNotFound, "invite-not-found", 404, "Invite not found"),
        new(ErrorCode.InviteExpired, "invite-expired", 410, "Invite expired"),
        new(ErrorCode.InviteExhausted, "invite-exhausted", 410, "Invite exhausted"),

        new(ErrorCode.BadSdp, "bad-sdp", 400, "Bad SDP"),
        new(ErrorCode.BadSdpFragment, "bad-sdp-fragment", 400, "Bad SDP fragment"),
        new(ErrorCode.AlreadyPublishing, "already-publishing", 409, "Already publishing"),
        new(ErrorCode.NoPublisher, "no-publisher", 409, "No publisher"),
        new(ErrorCode.PreconditionRequired, "precondition-required", 428, "If-Match required"),
        new(ErrorCode.PreconditionFailed, "precondition-failed", 412, "Stale ETag"),
        new(ErrorCode.IceRestartUnsupported, "ice-restart-unsupported", 422, "ICE restart not supported"),
        new(ErrorCode.Draining, "draining", 503, "Draining"),
        new(ErrorCode.RelayFull, "relay-full", 503, "Relay full"),
        new(ErrorCode.TooManyPeers, "too-many-peers", 429, "Too many peers"),
        new(ErrorCode.CodecUnsupported, "codec-unsupported", 422, "Codec not supported"),
        new(ErrorCode.SignalingUnavailable, "signaling-unavailable", 502, "Signaling unavailable"),
        new(ErrorCode.RelayUnavailable, "relay-unavailable", 502, "Relay unavailable"),

        new(ErrorCode.RelayStarting, "relay-starting", 503, "Relay starting"),
    ];

    private static readonly ErrorCodeInfo[] ByCode = Index();

    /// <summary>Every row, in declaration order of <see cref="ErrorCode"/>.</summary>
    public static IReadOnlyList<ErrorCodeInfo> All => ByCode;

    /// <summary>The row of <paramref name="code"/>.</summary>
    public static ErrorCodeInfo Info(this ErrorCode code) => ByCode[(int)code];

    /// <summary>The wire name of <paramref name="code"/>, e.g. <c>not-friends</c>.</summary>
    public static string WireName(this ErrorCode code) => ByCode[(int)code].Name;

    /// <summary>The HTTP status of <paramref name="code"/>.</summary>
    public static int HttpStatus(this ErrorCode code) => ByCode[(int)code].Status;

    /// <summary>The code with this wire name; false for a name this version does not know (a newer peer's).</summary>
    public static bool TryParse(string? name, out ErrorCode code)
    {
        foreach (var row in ByCode)
        {
            if (row.Name == name)
            {
                code = row.Code;
                return true;
            }
        }

        code = default;
        return false;
    }

    private static ErrorCodeInfo[] Index()
    {
        var values = Enum.GetValues<ErrorCode>();
        var index = new ErrorCodeInfo[values.Length];
        foreach (var row in Table)
        {
            index[(int)row.Code] = row;
        }

        return index;
    }
}
