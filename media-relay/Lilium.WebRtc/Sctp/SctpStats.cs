namespace Lilium.WebRtc.Sctp;

/// <summary>Counters of one association, for metrics and tests.</summary>
public sealed class SctpStats
{
    public long PacketsSent { get; internal set; }

    /// <summary>Messages <see cref="SctpAssociation.Send"/> refused because the send buffer was full.</summary>
    public long SendsRefused { get; internal set; }
    public long PacketsReceived { get; internal set; }
    public long PacketsDropped { get; internal set; }
    public long DataChunksSent { get; internal set; }
    public long DataChunksReceived { get; internal set; }
    public long Retransmissions { get; internal set; }
    public long FastRetransmissions { get; internal set; }
    public long AbandonedChunks { get; internal set; }
    public long DuplicateChunks { get; internal set; }
    public long MessagesDelivered { get; internal set; }
}
