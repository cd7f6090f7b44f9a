namespace Lilium.Signaling.Sessions;

/// <summary>The <c>reason</c> of a <c>join.denied</c> message.</summary>
public static class DenialReason
{
    public const string HostOffline = "host-offline";
    public const string SessionFull = "session-full";
    public const string Declined = "declined";

    /// <summary>
    /// The session does not exist, has ended, is not hosted by the addressed user — or the requester may not know of it
    /// (not an accepted friend of the host, or in a blocked pair): one reason for all, so a denial reveals neither a
    /// session nor a block.
    /// </summary>
    public const string NoSession = "no-session";
}
