namespace Lilium.Signaling.Sessions;

/// <summary>The <c>reason</c> of <c>session.ended</c> (stored as <c>sessions.end_reason</c>).</summary>
public static class EndReason
{
    /// <summary>The host ended it.</summary>
    public const string Host = "host";

    /// <summary>The host's signaling connections were all gone for longer than the grace period.</summary>
    public const string HostGone = "host-gone";

    /// <summary>Active for longer than the longest session allowed.</summary>
    public const string Stale = "stale";
}
