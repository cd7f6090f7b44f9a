namespace Lilium.Relay.Media;

/// <summary>A peer's transport progress: answer sent → ICE nominated → DTLS done (SRTP keyed) → closed.</summary>
public enum PeerState
{
    New,
    Connected,
    Secured,
    Closed,
}
