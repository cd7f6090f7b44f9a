using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// A view of one chunk inside a received packet (RFC 4960 §3.2). <see cref="Value"/> points into
/// the packet buffer and is valid only while that buffer is.
/// <code>
/// |   Chunk Type  | Chunk  Flags  |        Chunk Length           |
/// \                          Chunk Value                          /
/// </code>
/// Chunk Length counts the 4-byte header and the value, not the padding to a 4-byte boundary.
/// </summary>
public readonly ref struct SctpChunk(byte type, byte flags, ReadOnlySpan<byte> value)
{
    public const int HeaderSize = 4;

    public byte RawType { get; } = type;
    public SctpChunkType Type => (SctpChunkType)RawType;
    public byte Flags { get; } = flags;
    public ReadOnlySpan<byte> Value { get; } = value;

    public static int Padded(int length) => (length + 3) & ~3;

    /// <summary>Writes a chunk header; returns the padded total size of the chunk.</summary>
    public static int WriteHeader(Span<byte> destination, SctpChunkType type, byte flags, int valueLength)
    {
        destination[0] = (byte)type;
        destination[1] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)(HeaderSize + valueLength)));
        var padded = Padded(HeaderSize + valueLength);
        destination[(HeaderSize + valueLength)..padded].Clear();
        return padded;
    }
}

/// <summary>Iterates the chunks of a packet after its common header; stops at the first malformed one.</summary>
public ref struct SctpChunkReader(ReadOnlySpan<byte> chunks)
{
    private ReadOnlySpan<byte> _rest = chunks;

    /// <summary>True when iteration stopped because a chunk's length was impossible.</summary>
    public bool Malformed { get; private set; }

    public bool TryNext(out SctpChunk chunk)
    {
        chunk = default;
        if (_rest.Length < SctpChunk.HeaderSize)
        {
            Malformed |= _rest.Length != 0 && _rest.IndexOfAnyExcept((byte)0) >= 0;
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(_rest[2..]);
        if (length < SctpChunk.HeaderSize || length > _rest.Length)
        {
            Malformed = true;
            _rest = default;
            return false;
        }

        chunk = new SctpChunk(_rest[0], _rest[1], _rest[SctpChunk.HeaderSize..length]);
        var advance = Math.Min(SctpChunk.Padded(length), _rest.Length);
        _rest = _rest[advance..];
        return true;
    }
}
