using Lilium.WebRtc;

namespace Lilium.WebRtc.Tests;

/// <summary>RFC 7983 §7 first-byte ranges, and RFC 5761 §4 for RTP vs RTCP, at every boundary.</summary>
[Trait("Category", "Unit")]
public sealed class PacketDemuxTests
{
    [Theory]
    [InlineData(0, PacketKind.Stun)]
    [InlineData(1, PacketKind.Stun)]
    [InlineData(3, PacketKind.Stun)]
    [InlineData(4, PacketKind.Unknown)]
    [InlineData(15, PacketKind.Unknown)]
    [InlineData(16, PacketKind.Zrtp)]
    [InlineData(19, PacketKind.Zrtp)]
    [InlineData(20, PacketKind.Dtls)]
    [InlineData(22, PacketKind.Dtls)] // handshake
    [InlineData(23, PacketKind.Dtls)] // application data
    [InlineData(63, PacketKind.Dtls)]
    [InlineData(64, PacketKind.Turn)]
    [InlineData(79, PacketKind.Turn)]
    [InlineData(80, PacketKind.Unknown)]
    [InlineData(127, PacketKind.Unknown)]
    [InlineData(128, PacketKind.Rtp)]
    [InlineData(0x90, PacketKind.Rtp)] // V=2 with an extension
    [InlineData(191, PacketKind.Rtp)]
    [InlineData(192, PacketKind.Unknown)]
    [InlineData(255, PacketKind.Unknown)]
    public void The_first_byte_decides(byte first, PacketKind expected) =>
        Assert.Equal(expected, PacketDemux.Classify([first, 96, 0, 0]));

    [Theory]
    [InlineData(96, PacketKind.Rtp)] // VP8, no marker
    [InlineData(96 | 0x80, PacketKind.Rtp)] // VP8 with the marker: 224
    [InlineData(111, PacketKind.Rtp)]
    [InlineData(191, PacketKind.Rtp)]
    [InlineData(192, PacketKind.Rtcp)] // FIR
    [InlineData(200, PacketKind.Rtcp)] // SR
    [InlineData(201, PacketKind.Rtcp)] // RR
    [InlineData(205, PacketKind.Rtcp)] // RTPFB (NACK)
    [InlineData(206, PacketKind.Rtcp)] // PSFB (PLI)
    [InlineData(223, PacketKind.Rtcp)]
    public void Rtp_and_rtcp_are_told_apart_by_the_second_byte(byte second, PacketKind expected) =>
        Assert.Equal(expected, PacketDemux.Classify([0x80, second, 0, 1]));

    [Fact]
    public void Short_datagrams_never_throw()
    {
        Assert.Equal(PacketKind.Unknown, PacketDemux.Classify([]));
        Assert.Equal(PacketKind.Unknown, PacketDemux.Classify([0x80])); // RTP needs a second byte
        Assert.Equal(PacketKind.Stun, PacketDemux.Classify([0x00]));
        Assert.Equal(PacketKind.Dtls, PacketDemux.Classify([22]));
    }

    [Fact]
    public void Every_first_byte_has_exactly_the_kind_of_its_range()
    {
        for (var b = 0; b < 256; b++)
        {
            var kind = PacketDemux.Classify([(byte)b, 0]);
            var expected = b switch
            {
                <= 3 => PacketKind.Stun,
                >= 16 and <= 19 => PacketKind.Zrtp,
                >= 20 and <= 63 => PacketKind.Dtls,
                >= 64 and <= 79 => PacketKind.Turn,
                >= 128 and <= 191 => PacketKind.Rtp,
                _ => PacketKind.Unknown,
            };
            Assert.Equal(expected, kind);
        }
    }
}
