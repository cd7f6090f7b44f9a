using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>DATA chunk flags (RFC 4960 §3.3.1; I from RFC 7053).</summary>
[Flags]
public enum DataChunkFlags : byte
{
    None = 0,
    /// <summary>E: last fragment of a user message.</summary>
    End = 1 << 0,
    /// <summary>B: first fragment of a user message.</summary>
    Beginning = 1 << 1,
    /// <summary>U: unordered.</summary>
    Unordered = 1 << 2,
    /// <summary>I: the receiver should SACK at once.</summary>
    Immediate = 1 << 3,
}

/// <summary>
/// DATA (RFC 4960 §3.3.1).
/// <code>
/// |   Type = 0    | Reserved|U|B|E|    Length                     |
/// |                              TSN                              |
/// |      Stream Identifier S      |   Stream Sequence Number n    |
/// |                  Payload Protocol Identifier                  |
/// \                 User Data (seq n of Stream S)                 /
/// </code>
/// </summary>
public readonly ref struct DataChunk
{
    public const int FixedSize = 12;

    public DataChunkFlags Flags { get; private init; }
    public uint Tsn { get; private init; }
    public ushort StreamId { get; private init; }
    public ushort StreamSequence { get; private init; }
    public uint Ppid { get; private init; }
    public ReadOnlySpan<byte> UserData { get; private init; }

    public static bool TryRead(in SctpChunk chunk, out DataChunk data)
    {
        data = default;
        var v = chunk.Value;
        if (chunk.Type != SctpChunkType.Data || v.Length <= FixedSize)
        {
            // A DATA chunk with no user data is a protocol error (RFC 4960 §6.2); we drop it.
            return false;
        }

        data = new DataChunk
        {
            Flags = (DataChunkFlags)(chunk.Flags & 0x0F),
            Tsn = BinaryPrimitives.ReadUInt32BigEndian(v),
            StreamId = BinaryPrimitives.ReadUInt16BigEndian(v[4..]),
            StreamSequence = BinaryPrimitives.ReadUInt16BigEndian(v[6..]),
            Ppid = BinaryPrimitives.ReadUInt32BigEndian(v[8..]),
            UserData = v[FixedSize..],
        };
        return true;
    }

    public static int Size(int userDataLength) => SctpChunk.Padded(SctpChunk.HeaderSize + FixedSize + userDataLength);

    public static int Write(Span<byte> destination, DataChunkFlags flags, uint tsn, ushort streamId, ushort ssn, uint ppid, ReadOnlySpan<byte> userData)
    {
        var size = SctpChunk.WriteHeader(destination, SctpChunkType.Data, (byte)flags, FixedSize + userData.Length);
        var v = destination[SctpChunk.HeaderSize..];
        BinaryPrimitives.WriteUInt32BigEndian(v, tsn);
        BinaryPrimitives.WriteUInt16BigEndian(v[4..], streamId);
        BinaryPrimitives.WriteUInt16BigEndian(v[6..], ssn);
        BinaryPrimitives.WriteUInt32BigEndian(v[8..], ppid);
        userData.CopyTo(v[FixedSize..]);
        return size;
    }
}
