namespace Lilium.Signaling.Sessions;

/// <summary>The <c>reason</c> of a <c>join.denied</c> message.</summary>
public static class DenialReason
{
    public const string NotFriends = "not-friends";
    public const string HostOffline = "host-offline";
    public const string SessionFull = "session-full";
    public const string Declined = "declined";
    public const string Blocked = "blocked";

    /// <summary>The session does not exist, has ended, or is not hosted by the addressed user.</summary>
    public const string NoSession = "no-session";
}
