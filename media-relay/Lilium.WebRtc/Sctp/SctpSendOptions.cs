namespace Lilium.WebRtc.Sctp;

/// <summary>Delivery of one message: ordering and partial reliability (RFC 3758; RFC 8831 §6.6).</summary>
public readonly record struct SctpSendOptions(bool Unordered = false, int? MaxRetransmits = null, int? LifetimeMs = null)
{
    public static SctpSendOptions Reliable => default;
}
