namespace Lilium.WebRtc.DataChannels;

/// <summary>How a data channel delivers (RTCDataChannelInit): ordering and partial reliability.</summary>
public sealed record DataChannelParameters
{
    public required string Label { get; init; }
    public string Protocol { get; init; } = "";
    public bool Ordered { get; init; } = true;

    /// <summary>Give up on a message after this many retransmissions (exclusive with <see cref="MaxPacketLifeTimeMs"/>).</summary>
    public int? MaxRetransmits { get; init; }

    /// <summary>Give up on a message this long after it was sent.</summary>
    public int? MaxPacketLifeTimeMs { get; init; }

    public ushort Priority { get; init; } = 256;

    /// <summary>
    /// A channel both sides agreed on out of band (RTCDataChannelInit.negotiated): it has this stream
    /// id and no DCEP handshake.
    /// </summary>
    public ushort? NegotiatedId { get; init; }

    public bool IsReliable => MaxRetransmits is null && MaxPacketLifeTimeMs is null;
}
