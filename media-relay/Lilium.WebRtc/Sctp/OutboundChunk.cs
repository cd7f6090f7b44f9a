namespace Lilium.WebRtc.Sctp;

/// <summary>One DATA chunk the association owes the peer, from enqueue until it is acknowledged or abandoned.</summary>
internal sealed class OutboundChunk(
    uint tsn, ushort streamId, ushort ssn, uint ppid, DataChunkFlags flags, byte[] data, long messageId, SctpSendOptions options, long expiresAtMs)
{
    public uint Tsn { get; } = tsn;
    public ushort StreamId { get; } = streamId;
    public ushort Ssn { get; } = ssn;
    public uint Ppid { get; } = ppid;
    public DataChunkFlags Flags { get; } = flags;
    public byte[] Data { get; } = data;

    /// <summary>Fragments of one user message share it; they are abandoned together.</summary>
    public long MessageId { get; } = messageId;
    public SctpSendOptions Options { get; } = options;
    public long ExpiresAtMs { get; } = expiresAtMs;

    public int SentCount { get; set; }
    public long LastSentMs { get; set; }

    /// <summary>Acknowledged by a gap block (not yet by the cumulative ack).</summary>
    public bool GapAcked { get; set; }
    public bool InFlight { get; set; }
    public bool Abandoned { get; set; }
    public bool NeedsRetransmit { get; set; }
    public int MissIndications { get; set; }

    public bool Unordered => (Flags & DataChunkFlags.Unordered) != 0;

    public int WireSize => DataChunk.Size(Data.Length);

    /// <summary>RFC 3758 §4 "PR-SCTP abandon": true when this chunk's policy says give up.</summary>
    public bool ShouldAbandon(long nowMs) =>
        (Options.MaxRetransmits is { } max && SentCount > max) || (Options.LifetimeMs is not null && nowMs >= ExpiresAtMs);
}
