namespace Lilium.Relay.Sessions;

/// <summary>A WHIP publisher (the host) or a WHEP subscriber (a viewer).</summary>
public enum PeerRole
{
    Publisher,
    Subscriber,
}
