namespace Lilium.WebRtc.Sctp;

/// <summary>Association states (RFC 4960 §4), collapsed to what a data-channel endpoint needs.</summary>
public enum SctpState
{
    Closed,
    CookieWait,
    CookieEchoed,
    Established,
    ShutdownPending,
    ShutdownSent,
    ShutdownReceived,
    ShutdownAckSent,
}
