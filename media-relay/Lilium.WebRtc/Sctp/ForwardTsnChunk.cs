using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// FORWARD TSN (RFC 3758 §3.2): tells the receiver to move its cumulative TSN past abandoned data.
/// <code>
/// |                      New Cumulative TSN                       |
/// |         Stream-1              |       Stream Sequence-1       |
/// |         ...                   |       ...                     |
/// </code>
/// </summary>
public readonly ref struct ForwardTsnChunk
{
    public uint NewCumulativeTsn { get; private init; }
    public int StreamCount { get; private init; }
    private ReadOnlySpan<byte> Streams { get; init; }

    public static bool TryRead(in SctpChunk chunk, out ForwardTsnChunk forward)
    {
        forward = default;
        var v = chunk.Value;
        if (v.Length < 4 || (v.Length - 4) % 4 != 0)
        {
            return false;
        }

        forward = new ForwardTsnChunk
        {
            NewCumulativeTsn = BinaryPrimitives.ReadUInt32BigEndian(v),
            StreamCount = (v.Length - 4) / 4,
            Streams = v[4..],
        };
        return true;
    }

    public (ushort StreamId, ushort StreamSequence) Stream(int i) =>
        (BinaryPrimitives.ReadUInt16BigEndian(Streams[(4 * i)..]), BinaryPrimitives.ReadUInt16BigEndian(Streams[((4 * i) + 2)..]));

    public static int Size(int streams) => SctpChunk.HeaderSize + 4 + (4 * streams);

    public static int Write(Span<byte> destination, uint newCumulativeTsn, ReadOnlySpan<(ushort StreamId, ushort Ssn)> streams)
    {
        var v = destination[SctpChunk.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, newCumulativeTsn);
        var n = 4;
        foreach (var (sid, ssn) in streams)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[n..], sid);
            BinaryPrimitives.WriteUInt16BigEndian(v[(n + 2)..], ssn);
            n += 4;
        }

        return SctpChunk.WriteHeader(destination, SctpChunkType.ForwardTsn, 0, n);
    }
}
