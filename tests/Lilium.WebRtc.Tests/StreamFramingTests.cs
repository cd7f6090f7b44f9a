using Lilium.WebRtc.Ice;

namespace Lilium.WebRtc.Tests;

/// <summary>RFC 4571 framing as ICE-TCP uses it: whole frames only, the size limit, any bytes without throwing.</summary>
[Trait("Category", "Unit")]
public sealed class StreamFramingTests
{
    [Fact]
    public void Round_trip_and_partial_delivery()
    {
        var payload = new byte[] { 0, 1, 0x21, 0x12, 0xA4, 0x42 };
        var buffer = new byte[16];
        Assert.True(StreamFraming.TryWrite(payload, buffer, out var written));
        Assert.Equal(8, written);
        Assert.Equal(new byte[] { 0, 6 }, buffer[..2]);
        for (var have = 0; have < written; have++)
        {
            Assert.Equal(FrameStatus.Incomplete, StreamFraming.TryRead(buffer.AsSpan(0, have), 4096, out _));
        }

        Assert.Equal(FrameStatus.Complete, StreamFraming.TryRead(buffer.AsSpan(0, written), 4096, out var length));
        Assert.Equal(payload, buffer.AsSpan(StreamFraming.HeaderSize, length).ToArray());
        Assert.False(StreamFraming.TryWrite(payload, new byte[7], out _)); // does not fit: nothing written
        Assert.False(StreamFraming.TryWrite(new byte[65536], new byte[70000], out _)); // longer than 16 bits can say
    }

    [Fact]
    public void Too_large_is_known_from_the_header_alone()
    {
        Assert.Equal(FrameStatus.TooLarge, StreamFraming.TryRead([0x10, 0x01], 4096, out _));
        Assert.Equal(FrameStatus.Incomplete, StreamFraming.TryRead([0x10, 0x00], 4096, out _));
        Assert.Equal(FrameStatus.Complete, StreamFraming.TryRead([0x00, 0x00], 4096, out var empty));
        Assert.Equal(0, empty);
    }

    [Fact]
    public void Random_streams_never_throw_and_frames_stay_inside_the_buffer()
    {
        var random = new Random(4571);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            var status = StreamFraming.TryRead(bytes, random.Next(0, 70_000), out var length);
            if (status == FrameStatus.Complete)
            {
                Assert.True(StreamFraming.HeaderSize + length <= bytes.Length);
            }
        }
    }
}
