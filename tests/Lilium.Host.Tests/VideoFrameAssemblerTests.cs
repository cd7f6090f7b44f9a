using Lilium.Client.Media;

namespace Lilium.Host.Tests;

/// <summary>
/// The viewer's frame assembly around a track's first packets: the relay's padding-only sequence anchor just below the
/// keyframe a track starts on makes a lost first packet of that keyframe a gap the viewer NACKs.
/// </summary>
[Trait("Category", "Unit")]
public sealed class VideoFrameAssemblerTests
{
    private const ushort Anchor = 65535; // the keyframe's first packet then wraps to 0

    [Fact]
    public void A_keyframe_after_the_anchor_comes_out_whole_and_the_anchor_is_no_frame()
    {
        var assembler = new VideoFrameAssembler(new Vp8Depacketizer(), TimeProvider.System);
        var ready = new List<VideoFrame>();
        var packets = Keyframe(3000);

        assembler.Add(Anchor, 3000, marker: false, [], ready);
        foreach (var (sequence, payload, marker) in packets)
        {
            assembler.Add(sequence, 3000, marker, payload, ready);
        }

        var frame = Assert.Single(ready);
        Assert.True(frame.IsKeyframe);
        Assert.Equal(3000u, frame.RtpTimestamp);
        Assert.Equal(packets.Count, assembler.PacketsReceived);
    }

    [Fact]
    public void A_lost_first_packet_of_the_keyframe_after_the_anchor_is_NACKed_and_the_repair_completes_it()
    {
        var assembler = new VideoFrameAssembler(new Vp8Depacketizer(), TimeProvider.System);
        var ready = new List<VideoFrame>();
        var packets = Keyframe(3000);
        Assert.True(packets.Count >= 2);

        assembler.Add(Anchor, 3000, marker: false, [], ready);
        foreach (var (sequence, payload, marker) in packets.Skip(1))
        {
            assembler.Add(sequence, 3000, marker, payload, ready);
        }

        var nack = new List<ushort>();
        assembler.Tick(nack, out _, ready);
        Assert.Empty(ready);
        Assert.Equal([packets[0].Sequence], nack);

        assembler.Add(packets[0].Sequence, 3000, packets[0].Marker, packets[0].Payload, ready);
        var frame = Assert.Single(ready);
        Assert.True(frame.IsKeyframe);
    }

    [Fact]
    public void Padding_between_frames_holds_its_number_without_a_NACK_or_a_keyframe_request()
    {
        var assembler = new VideoFrameAssembler(new Vp8Depacketizer(), TimeProvider.System);
        var ready = new List<VideoFrame>();
        var packets = Keyframe(3000);
        foreach (var (sequence, payload, marker) in packets)
        {
            assembler.Add(sequence, 3000, marker, payload, ready);
        }

        var next = (ushort)(packets[^1].Sequence + 1);
        assembler.Add(next, 3000, marker: false, [], ready);
        assembler.Add((ushort)(next + 1), 6000, marker: true, [0x10, 0x01, 0x02, 0x03], ready); // a delta frame (P = 1)

        var nack = new List<ushort>();
        assembler.Tick(nack, out var pli, ready);
        Assert.Equal([(true, 3000u), (false, 6000u)], ready.Select(f => (f.IsKeyframe, f.RtpTimestamp)));
        Assert.Empty(nack);
        Assert.False(pli);
    }

    [Fact]
    public void The_keyframe_request_waits_for_the_first_packet_and_then_goes_at_once()
    {
        var assembler = new VideoFrameAssembler(new Vp8Depacketizer(), TimeProvider.System);
        var ready = new List<VideoFrame>();
        var nack = new List<ushort>();

        assembler.Tick(nack, out var beforeAnyPacket, ready);
        assembler.Add(7, 6000, marker: true, [0x10, 0x01, 0x02, 0x03], ready); // a delta frame: undecodable at start
        assembler.Tick(nack, out var afterIt, ready);

        Assert.False(beforeAnyPacket);
        Assert.True(afterIt);
        Assert.Equal(1, assembler.PlisSent);
        Assert.Empty(ready);
    }

    private static List<(ushort Sequence, byte[] Payload, bool Marker)> Keyframe(int length)
    {
        var frame = new byte[length];
        new Random(5).NextBytes(frame);
        frame[0] &= 0xFE; // P = 0: a keyframe
        var count = Vp8Packetizer.PacketCount(frame.Length);
        var packets = new List<(ushort, byte[], bool)>();
        for (var i = 0; i < count; i++)
        {
            var buffer = new byte[1500];
            var written = Vp8Packetizer.WritePayload(frame, i, buffer);
            packets.Add(((ushort)(Anchor + 1 + i), buffer[..written], i == count - 1));
        }

        return packets;
    }
}
