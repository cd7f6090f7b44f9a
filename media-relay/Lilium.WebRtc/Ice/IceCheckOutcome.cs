namespace Lilium.WebRtc.Ice;

/// <summary>What an ICE-lite agent did with a datagram that looked like STUN.</summary>
public enum IceCheckOutcome
{
    /// <summary>Not a well-formed STUN message.</summary>
    Malformed,
    /// <summary>Dropped silently: an indication (keepalive), a response, or a bad FINGERPRINT.</summary>
    Ignored,
    /// <summary>An error response was written (400, 401 or 420).</summary>
    Rejected,
    /// <summary>A success response was written; consent is refreshed.</summary>
    Accepted,
    /// <summary>As <see cref="Accepted"/>, and the request carried USE-CANDIDATE: the pair is selected.</summary>
    Nominated,
}
