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
    public const string RateLimited = "rate-limited";
    public const string UnsupportedVersion = "unsupported-version";
    public const string NotImplemented = "not-implemented";
    public const string Internal = "internal";
}
