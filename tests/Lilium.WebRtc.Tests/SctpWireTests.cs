using System.Buffers.Binary;
using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.Tests;

[Trait("Category", "Unit")]
public sealed class SctpWireTests
{
    // RFC 3720 Appendix B.4 (iSCSI CRC32c examples): the CRC of 32 bytes of zeros is aa 36 91 8a as
    // transmitted, i.e. 0x8A9136AA read little-endian; of 32 bytes of 0xFF it is 43 ab a8 62.
    [Theory]
    [InlineData(0x00, 0x8A9136AAu)]
    [InlineData(0xFF, 0x62A8AB43u)]
    public void Crc32c_matches_rfc3720_vectors(byte fill, uint expected)
    {
        var data = Enumerable.Repeat(fill, 32).ToArray();
        Assert.Equal(expected, Crc32C.Compute(data));
    }

    [Fact]
    public void Crc32c_of_ascending_bytes_matches_rfc3720()
    {
        // 32 bytes 00..1F -> 4e 79 dd 46 as transmitted.
        var data = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(data));

        // The catalogue check value of CRC-32C (Castagnoli) over "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Common_header_round_trips_and_a_flipped_bit_fails_the_checksum()
    {
        var packet = new byte[SctpCommonHeader.Size + 8];
        new SctpCommonHeader(5000, 5001, 0xDEADBEEF).WriteTo(packet);
        SctpChunk.WriteHeader(packet.AsSpan(SctpCommonHeader.Size), SctpChunkType.CookieAck, 0, 0);
        SctpCommonHeader.Seal(packet);
        Assert.True(SctpCommonHeader.TryRead(packet, out var header));
        Assert.Equal(new SctpCommonHeader(5000, 5001, 0xDEADBEEF), header);

        for (var bit = 0; bit < packet.Length * 8; bit++)
        {
            var copy = (byte[])packet.Clone();
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(SctpCommonHeader.TryRead(copy, out _));
        }
    }

    [Fact]
    public void Data_chunk_round_trips_with_flags()
    {
        var buffer = new byte[64];
        var n = DataChunk.Write(buffer, DataChunkFlags.Beginning | DataChunkFlags.End | DataChunkFlags.Unordered, 0xFFFFFFFE, 9, 77, 51, "hello"u8);
        Assert.Equal(DataChunk.Size(5), n);
        var reader = new SctpChunkReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryNext(out var chunk));
        Assert.True(DataChunk.TryRead(chunk, out var data));
        Assert.Equal(0xFFFFFFFEu, data.Tsn);
        Assert.Equal((ushort)9, data.StreamId);
        Assert.Equal((ushort)77, data.StreamSequence);
        Assert.Equal(51u, data.Ppid);
        Assert.Equal("hello"u8.ToArray(), data.UserData.ToArray());
        Assert.Equal(DataChunkFlags.Beginning | DataChunkFlags.End | DataChunkFlags.Unordered, data.Flags);
    }

    [Fact]
    public void Sack_round_trips_gap_blocks_and_duplicates()
    {
        var buffer = new byte[128];
        var n = SackChunk.Write(buffer, 100, 65535, [(2, 3), (5, 9)], [98u]);
        var reader = new SctpChunkReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryNext(out var chunk));
        Assert.True(SackChunk.TryRead(chunk, out var sack));
        Assert.Equal(100u, sack.CumulativeTsnAck);
        Assert.Equal(2, sack.GapBlockCount);
        Assert.Equal(((ushort)5, (ushort)9), sack.GapBlock(1));
        Assert.Equal(1, sack.DuplicateCount);
    }

    [Fact]
    public void Chunk_reader_stops_on_impossible_lengths()
    {
        byte[] bytes = [0, 0, 0, 2, 1, 2, 3, 4];
        var reader = new SctpChunkReader(bytes);
        Assert.False(reader.TryNext(out _));
        Assert.True(reader.Malformed);

        byte[] overlong = [0, 0, 0x40, 0, 1, 2, 3, 4];
        reader = new SctpChunkReader(overlong);
        Assert.False(reader.TryNext(out _));
        Assert.True(reader.Malformed);
    }

    [Fact]
    public void Init_with_zero_tag_or_zero_streams_is_refused()
    {
        var buffer = new byte[64];
        var n = InitChunk.Write(buffer, SctpChunkType.Init, 0, 1000, 10, 10, 1, []);
        var reader = new SctpChunkReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryNext(out var chunk));
        Assert.False(InitChunk.TryRead(chunk, out _));

        n = InitChunk.Write(buffer, SctpChunkType.Init, 7, 1000, 10, 10, 1, []);
        BinaryPrimitives.WriteUInt16BigEndian(buffer.AsSpan(4 + 8), 0);
        reader = new SctpChunkReader(buffer.AsSpan(0, n));
        Assert.True(reader.TryNext(out chunk));
        Assert.False(InitChunk.TryRead(chunk, out _));
    }
}
