using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// Type-length-value parameters inside INIT, INIT ACK, HEARTBEAT and RE-CONFIG chunks
/// (RFC 4960 §3.2.1): type16, length16 (header included, padding excluded), value, padding.
/// </summary>
public ref struct SctpParameterReader(ReadOnlySpan<byte> parameters)
{
    public const int HeaderSize = 4;
    private ReadOnlySpan<byte> _rest = parameters;

    public bool TryNext(out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        if (_rest.Length < HeaderSize)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]);
        if (length < HeaderSize || length > _rest.Length)
        {
            _rest = default;
            return false;
        }

        type = BinaryPrimitives.ReadUInt16BigEndian(_rest);
        value = _rest[HeaderSize..length];
        _rest = _rest[Math.Min(SctpChunk.Padded(length), _rest.Length)..];
        return true;
    }

    public static int Size(int valueLength) => SctpChunk.Padded(HeaderSize + valueLength);

    public static int Write(Span<byte> destination, ushort type, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)(HeaderSize + value.Length)));
        value.CopyTo(destination[HeaderSize..]);
        var padded = Size(value.Length);
        destination[(HeaderSize + value.Length)..padded].Clear();
        return padded;
    }
}
