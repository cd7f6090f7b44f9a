namespace Lilium.Signaling.Protocol;

/// <summary>Machine-readable codes carried by <c>{"action":"error","code":…}</c> messages.</summary>
public static class ErrorCode
{
    public const string BadJson = "bad-json";
    public const string BadRequest = "bad-request";
    public const string UnknownAction = "unknown-action";
    public const string TooLarge = "too-large";
    public const string Impersonation = "impersonation";
    public const string NotFriends = "not-friends";
    public const string FriendOffline = "friend-offline";
    public const string PeerOffline = "peer-offline";
    public const string NotMember = "not-member";
    public const string NotHost = "not-host";
    public const string UnknownRequest = "unknown-request";
    public const string JoinFailed = "join-failed";
    public const string RateLimited = "rate-limited";
    public const string UnsupportedVersion = "unsupported-version";
    public const string Internal = "internal";

    /// <summary>The access token the connection was opened with has expired (the connection closes; reconnect with a fresh one).</summary>
    public const string TokenExpired = "token-expired";
}
