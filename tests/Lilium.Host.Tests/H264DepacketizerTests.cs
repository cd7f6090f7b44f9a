using Lilium.Client.Media;

namespace Lilium.Host.Tests;

/// <summary>The viewer's H.264 receive side: RFC 6184 payloads back into Annex B access units.</summary>
[Trait("Category", "Unit")]
public sealed class H264DepacketizerTests
{
    private static readonly byte[] Sps = [0x67, 0x42, 0xE0, 0x1F, 0xDA, 0x01];
    private static readonly byte[] Pps = [0x68, 0xCE, 0x3C, 0x80];

    [Fact]
    public void An_access_unit_packetized_by_the_host_comes_back_whole_with_four_byte_start_codes()
    {
        var idr = new byte[5000];
        new Random(11).NextBytes(idr);
        (idr[0], idr[1]) = (0x65, 0x88); // IDR slice, first_mb_in_slice = 0
        var inter = new byte[] { 0x41, 0x9A, 0x02, 0x03, 0x04 };
        var assembler = new VideoFrameAssembler(new H264Depacketizer(), TimeProvider.System);
        var ready = new List<VideoFrame>();
        ushort sequence = 100;

        Feed(assembler, ref sequence, 3000, [Sps, Pps, idr], ready);
        Feed(assembler, ref sequence, 6000, [inter], ready);

        Assert.Equal(2, ready.Count);
        Assert.Equal(("H264", true, 3000u), (ready[0].Codec, ready[0].IsKeyframe, ready[0].RtpTimestamp));
        Assert.Equal(AnnexB(Sps, Pps, idr), ready[0].Data.ToArray());
        Assert.Equal((false, 6000u), (ready[1].IsKeyframe, ready[1].RtpTimestamp));
        Assert.Equal(AnnexB(inter), ready[1].Data.ToArray());
    }

    [Fact]
    public void A_STAP_A_aggregate_unpacks_into_its_NAL_units()
    {
        byte[] stap = [24, 0, (byte)Sps.Length, .. Sps, 0, (byte)Pps.Length, .. Pps];
        Assert.True(new H264Depacketizer().TryRead(stap, out var start, out var data));
        Assert.True(start);
        Assert.Equal(AnnexB(Sps, Pps), data);
    }

    [Fact]
    public void A_frame_cannot_start_at_a_later_slice_or_a_middle_fragment()
    {
        var depacketizer = new H264Depacketizer();
        Assert.True(depacketizer.TryRead([0x41, 0x40, 0x01], out var secondSlice, out _)); // first_mb_in_slice ≠ 0
        Assert.False(secondSlice);
        Assert.True(depacketizer.TryRead([0x7C, 0x05, 0x01, 0x02], out var middle, out var rest)); // FU-A, S = 0
        Assert.False(middle);
        Assert.Equal([1, 2], rest);
    }

    [Theory]
    [InlineData("")]
    [InlineData("80 00")]            // forbidden bit
    [InlineData("18 00")]            // STAP-A cut inside a size
    [InlineData("18 00 09 67")]      // STAP-A with an overlong unit
    [InlineData("18 00 00")]         // STAP-A with an empty unit
    [InlineData("18")]               // STAP-A with nothing inside
    [InlineData("1C 85")]            // FU-A with no data
    [InlineData("19 00 01 67")]      // STAP-B (interleaved mode)
    [InlineData("1D 85 01")]         // FU-B
    [InlineData("00 01")]            // NAL type 0
    public void Unusable_payloads_are_refused(string hex)
    {
        Assert.False(new H264Depacketizer().TryRead(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal)), out _, out _));
    }

    [Fact]
    public void Random_payloads_never_throw()
    {
        var random = new Random(5);
        var depacketizer = new H264Depacketizer();
        for (var i = 0; i < 20_000; i++)
        {
            var payload = new byte[random.Next(0, 64)];
            random.NextBytes(payload);
            if (depacketizer.TryRead(payload, out _, out var data))
            {
                _ = depacketizer.IsKeyframe(data);
            }
        }
    }

    private static void Feed(VideoFrameAssembler assembler, ref ushort sequence, uint timestamp, byte[][] nals, List<VideoFrame> ready)
    {
        var buffer = new byte[H264Packetizer.MaxPayload];
        for (var n = 0; n < nals.Length; n++)
        {
            var count = H264Packetizer.PacketCount(nals[n].Length);
            for (var i = 0; i < count; i++)
            {
                var length = H264Packetizer.WritePayload(nals[n], i, buffer);
                var marker = n == nals.Length - 1 && i == count - 1;
                assembler.Add(sequence++, timestamp, marker, buffer.AsSpan(0, length), ready);
            }
        }
    }

    private static byte[] AnnexB(params byte[][] nals) => [.. nals.SelectMany(n => new byte[] { 0, 0, 0, 1 }.Concat(n))];
}
