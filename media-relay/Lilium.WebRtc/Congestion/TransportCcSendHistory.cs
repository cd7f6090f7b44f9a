namespace Lilium.WebRtc.Congestion;

/// <summary>What was sent: one packet's send time, size and probe cluster, under its transport-wide sequence number.</summary>
public readonly record struct SentPacket(long Sequence, long SendMicros, int Size, int ProbeClusterId);

/// <summary>
/// The send side's record of transport-wide sequence numbers: hands out the next number for each packet sent to one
/// peer (write it with <c>RtpExtensions.TrySetTransportSequence</c>) and remembers the send time and size, so that
/// feedback can be matched to it. A ring of <see cref="Capacity"/> entries, so nothing is allocated per packet;
/// feedback about a packet older than that is ignored. Not thread-safe.
/// </summary>
public sealed class TransportCcSendHistory
{
    public const int Capacity = 2048;

    private readonly SentPacket[] _ring = new SentPacket[Capacity];
    private readonly bool[] _acknowledged = new bool[Capacity];
    private long _next;

    /// <summary>Starts numbering at <paramref name="firstSequence"/> (random is fine; 0 is what libwebrtc does).</summary>
    public TransportCcSendHistory(ushort firstSequence = 0)
    {
        _next = firstSequence;
        Array.Fill(_ring, new SentPacket(-1, 0, 0, -1));
    }

    /// <summary>Packets sent so far.</summary>
    public long Sent { get; private set; }

    /// <summary>
    /// Records one packet about to be sent and returns its transport-wide sequence number.
    /// <paramref name="probeClusterId"/> is the <see cref="ProbeCluster.Id"/> of a probe's packet, else -1.
    /// </summary>
    public ushort OnSent(int size, long sendMicros, int probeClusterId = -1)
    {
        var sequence = _next++;
        var slot = (int)(sequence % Capacity);
        _ring[slot] = new SentPacket(sequence, sendMicros, size, probeClusterId);
        _acknowledged[slot] = false;
        Sent++;
        return (ushort)sequence;
    }

    /// <summary>
    /// The packet sent as <paramref name="sequence"/> (unwrapped against the latest sent), the first time feedback
    /// names it; false if unknown, too old, or already reported by an earlier feedback.
    /// </summary>
    public bool TryAcknowledge(ushort sequence, out SentPacket packet)
    {
        packet = default;
        if (_next == 0 && Sent == 0)
        {
            return false;
        }

        var latest = _next - 1;
        var unwrapped = latest + (short)(ushort)(sequence - (ushort)latest);
        if (unwrapped > latest || unwrapped <= latest - Capacity || unwrapped < 0)
        {
            return false;
        }

        var slot = (int)(unwrapped % Capacity);
        if (_ring[slot].Sequence != unwrapped || _acknowledged[slot])
        {
            return false;
        }

        _acknowledged[slot] = true;
        packet = _ring[slot];
        return true;
    }
}
