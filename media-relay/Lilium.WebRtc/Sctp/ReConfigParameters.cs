using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// The two RE-CONFIG parameters data channels use (RFC 6525 §4.1, §4.4): closing a channel
/// resets its outgoing stream, and the peer answers.
/// <code>
/// Outgoing SSN Reset Request (type 13):
/// |           Re-configuration Request Sequence Number            |
/// |           Re-configuration Response Sequence Number           |
/// |                Sender's Last Assigned TSN                     |
/// |  Stream Number 1 (optional)   |    Stream Number 2 (optional) |
///
/// Re-configuration Response (type 16):
/// |         Re-configuration Response Sequence Number             |
/// |                            Result                             |
/// </code>
/// </summary>
public static class ReConfigParameters
{
    public const ushort OutgoingResetRequest = 13;
    public const ushort Response = 16;

    public const uint ResultSuccessNothingToDo = 0;
    public const uint ResultSuccessPerformed = 1;
    public const uint ResultDenied = 2;
    public const uint ResultErrorBadSequence = 5;
    public const uint ResultInProgress = 6;

    public static bool TryReadOutgoingReset(ReadOnlySpan<byte> value, out uint requestSeq, out uint lastTsn, out ReadOnlySpan<byte> streams)
    {
        requestSeq = lastTsn = 0;
        streams = default;
        if (value.Length < 12 || (value.Length - 12) % 2 != 0)
        {
            return false;
        }

        requestSeq = BinaryPrimitives.ReadUInt32BigEndian(value);
        lastTsn = BinaryPrimitives.ReadUInt32BigEndian(value[8..]);
        streams = value[12..];
        return true;
    }

    public static bool TryReadResponse(ReadOnlySpan<byte> value, out uint responseSeq, out uint result)
    {
        responseSeq = result = 0;
        if (value.Length < 8)
        {
            return false;
        }

        responseSeq = BinaryPrimitives.ReadUInt32BigEndian(value);
        result = BinaryPrimitives.ReadUInt32BigEndian(value[4..]);
        return true;
    }

    public static int WriteOutgoingResetChunk(Span<byte> destination, uint requestSeq, uint responseSeq, uint lastTsn, ReadOnlySpan<ushort> streams)
    {
        var p = destination[SctpChunk.HeaderSize..];
        BinaryPrimitives.WriteUInt16BigEndian(p, OutgoingResetRequest);
        var length = SctpParameterReader.HeaderSize + 12 + (2 * streams.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)length);
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], requestSeq);
        BinaryPrimitives.WriteUInt32BigEndian(p[8..], responseSeq);
        BinaryPrimitives.WriteUInt32BigEndian(p[12..], lastTsn);
        for (var i = 0; i < streams.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(p[(16 + (2 * i))..], streams[i]);
        }

        var padded = SctpChunk.Padded(length);
        p[length..padded].Clear();
        return SctpChunk.WriteHeader(destination, SctpChunkType.ReConfig, 0, padded);
    }

    public static int WriteResponseChunk(Span<byte> destination, uint responseSeq, uint result)
    {
        var p = destination[SctpChunk.HeaderSize..];
        BinaryPrimitives.WriteUInt16BigEndian(p, Response);
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], 12);
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], responseSeq);
        BinaryPrimitives.WriteUInt32BigEndian(p[8..], result);
        return SctpChunk.WriteHeader(destination, SctpChunkType.ReConfig, 0, 12);
    }
}
