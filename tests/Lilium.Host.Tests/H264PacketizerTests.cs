using Lilium.Client.Media;

namespace Lilium.Host.Tests;

[Trait("Category", "Unit")]
public sealed class H264PacketizerTests
{
    [Fact]
    public void Annex_B_splits_into_NAL_units_without_their_start_codes()
    {
        byte[] stream = [0, 0, 0, 1, 0x67, 1, 2, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 9, 9, 9];
        var nals = new List<Range>();
        H264Packetizer.FindNals(stream, nals);
        Assert.Equal([new byte[] { 0x67, 1, 2 }, [0x68, 3], [0x65, 9, 9, 9]], nals.Select(r => stream[r]).ToArray());
        Assert.True(H264Packetizer.IsIdr(stream, []));
    }

    [Fact]
    public void A_small_NAL_goes_alone_and_a_big_one_as_FU_A_fragments_that_rebuild_it()
    {
        var small = new byte[] { 0x41, 1, 2, 3 };
        var buffer = new byte[1500];
        Assert.Equal(1, H264Packetizer.PacketCount(small.Length));
        Assert.Equal(small, buffer.AsSpan(0, H264Packetizer.WritePayload(small, 0, buffer)).ToArray());

        var big = new byte[5000];
        new Random(7).NextBytes(big);
        big[0] = 0x65; // NRI 3, IDR
        var count = H264Packetizer.PacketCount(big.Length);
        Assert.Equal((int)Math.Ceiling((big.Length - 1) / (double)(H264Packetizer.MaxPayload - 2)), count);
        var rebuilt = new List<byte>();
        for (var i = 0; i < count; i++)
        {
            var n = H264Packetizer.WritePayload(big, i, buffer);
            Assert.InRange(n, 3, H264Packetizer.MaxPayload);
            Assert.Equal(0x60 | 28, buffer[0]);                                     // F=0, NRI from the NAL, type FU-A
            Assert.Equal((i == 0 ? 0x80 : 0) | (i == count - 1 ? 0x40 : 0) | 5, buffer[1]); // S, E, original type
            if (i == 0)
            {
                rebuilt.Add((byte)((buffer[0] & 0xE0) | (buffer[1] & 0x1F)));
            }

            rebuilt.AddRange(buffer.AsSpan(2, n - 2).ToArray());
        }

        Assert.Equal(big, rebuilt.ToArray());
    }
}
