using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.DataChannels;

/// <summary>One data channel: a label and delivery parameters bound to an SCTP stream id.</summary>
public sealed class DataChannel
{
    internal DataChannel(ushort id, DataChannelParameters parameters, DataChannelState state)
    {
        Id = id;
        Parameters = parameters;
        State = state;
    }

    public ushort Id { get; }
    public DataChannelParameters Parameters { get; }
    public string Label => Parameters.Label;
    public DataChannelState State { get; internal set; }

    internal SctpSendOptions SendOptions => new(
        Unordered: !Parameters.Ordered,
        MaxRetransmits: Parameters.MaxRetransmits,
        LifetimeMs: Parameters.MaxPacketLifeTimeMs);

    public override string ToString() => $"{Label}#{Id} ({State})";
}
