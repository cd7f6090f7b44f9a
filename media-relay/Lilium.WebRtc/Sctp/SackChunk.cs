using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// SACK (RFC 4960 §3.3.4).
/// <code>
/// |                      Cumulative TSN Ack                       |
/// |          Advertised Receiver Window Credit (a_rwnd)           |
/// | Number of Gap Ack Blocks = N  |  Number of Duplicate TSNs = X |
/// |  Gap Ack Block #1 Start       |   Gap Ack Block #1 End        |  (offsets from the cumulative ack)
/// |                       Duplicate TSN 1                         |
/// </code>
/// </summary>
public readonly ref struct SackChunk
{
    public const int FixedSize = 12;

    public uint CumulativeTsnAck { get; private init; }
    public uint AdvertisedWindow { get; private init; }
    public int GapBlockCount { get; private init; }
    public int DuplicateCount { get; private init; }
    private ReadOnlySpan<byte> Blocks { get; init; }

    public static bool TryRead(in SctpChunk chunk, out SackChunk sack)
    {
        sack = default;
        var v = chunk.Value;
        if (v.Length < FixedSize)
        {
            return false;
        }

        int gaps = BinaryPrimitives.ReadUInt16BigEndian(v[8..]);
        int dups = BinaryPrimitives.ReadUInt16BigEndian(v[10..]);
        if (v.Length < FixedSize + (4 * gaps) + (4 * dups))
        {
            return false;
        }

        sack = new SackChunk
        {
            CumulativeTsnAck = BinaryPrimitives.ReadUInt32BigEndian(v),
            AdvertisedWindow = BinaryPrimitives.ReadUInt32BigEndian(v[4..]),
            GapBlockCount = gaps,
            DuplicateCount = dups,
            Blocks = v[FixedSize..],
        };
        return true;
    }

    /// <summary>The i-th gap block as offsets (start, end) from <see cref="CumulativeTsnAck"/>.</summary>
    public (ushort Start, ushort End) GapBlock(int i) =>
        (BinaryPrimitives.ReadUInt16BigEndian(Blocks[(4 * i)..]), BinaryPrimitives.ReadUInt16BigEndian(Blocks[((4 * i) + 2)..]));

    public static int Size(int gapBlocks, int duplicates) => SctpChunk.HeaderSize + FixedSize + (4 * gapBlocks) + (4 * duplicates);

    public static int Write(Span<byte> destination, uint cumulativeTsn, uint window, ReadOnlySpan<(ushort Start, ushort End)> gaps, ReadOnlySpan<uint> duplicates)
    {
        var v = destination[SctpChunk.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, cumulativeTsn);
        BinaryPrimitives.WriteUInt32BigEndian(v[4..], window);
        BinaryPrimitives.WriteUInt16BigEndian(v[8..], (ushort)gaps.Length);
        BinaryPrimitives.WriteUInt16BigEndian(v[10..], (ushort)duplicates.Length);
        var n = FixedSize;
        foreach (var (start, end) in gaps)
        {
            BinaryPrimitives.WriteUInt16BigEndian(v[n..], start);
            BinaryPrimitives.WriteUInt16BigEndian(v[(n + 2)..], end);
            n += 4;
        }

        foreach (var d in duplicates)
        {
            BinaryPrimitives.WriteUInt32BigEndian(v[n..], d);
            n += 4;
        }

        return SctpChunk.WriteHeader(destination, SctpChunkType.Sack, 0, n);
    }
}
