using System.Buffers.Binary;
using Lilium.WebRtc.Rtp;

/// <summary>
/// One encoding the synthetic publisher sends: its RID, SSRC, how many packets it sends per frame and how large their
/// payload is (the layers' payload sizes differ, so a subscriber tells which layer a packet belongs to from its
/// clear-text length and decrypts only to confirm), and where its timestamps and sequence numbers start (unrelated
/// spaces, as a browser's encodings have).
/// </summary>
internal sealed record BenchLayer(int Index, string Rid, uint Ssrc, int PacketsPerFrame, int PayloadSize, uint TimestampBase, ushort FirstSequence);

/// <summary>
/// The publisher's video (docs/relay.md, "Benchmark"): the full layer is the stream the benchmark has always sent — 8
/// packets a frame, ~31 frames a second, 250 packets/s of 1,200 bytes (12-byte header, no extension) — and towards an
/// SFU that takes simulcast two lower layers go beside it, shaped like a screen share's simulcast: <c>h</c> at half the
/// full layer's bytes (4 packets of 1,196 bytes a frame), <c>q</c> at 0.15 (2 packets of 720). Every packet of every
/// layer is a VP8 "keyframe" start, so a subscriber starts, and switches, at once. Payload: the VP8 descriptor and
/// header (2 bytes), 2 spare, the packet's index within its layer (int64, big-endian), the layer index (1 byte), zeros.
/// </summary>
internal static class BenchLayers
{
    /// <summary>The full layer's packets per frame; the lower layers send their packets on every 2nd / 4th of these slots.</summary>
    public const int SlotsPerFrame = 8;

    /// <summary>The full layer's index in <see cref="All"/> (the offer lists q;h;f, low → high).</summary>
    public const int Full = 2;

    /// <summary>Payload offset of the packet's index within its layer.</summary>
    public const int IndexAt = 4;

    /// <summary>Payload offset of the layer index.</summary>
    public const int LayerAt = 12;

    /// <summary>
    /// How many first packets of each layer carry the RID extension: the relay learns a layer's SSRC from its first
    /// packet that names it and routes by SSRC after that (libwebrtc likewise stops writing the RID once receiver reports
    /// acknowledge the SSRC), so the full layer's later packets are byte for byte the single stream's.
    /// </summary>
    public const int RidPackets = 100;

    public static readonly BenchLayer[] All =
    [
        new(0, "q", 0x51A0_0001, 2, 720 - RtpHeader.FixedSize, 0x4000_0000, 20_000),
        new(1, "h", 0x51A0_0002, 4, 1196 - RtpHeader.FixedSize, 0x8000_0000, 40_000),
        new(Full, "f", 3434957552, SlotsPerFrame, 1200 - RtpHeader.FixedSize, 0, 0), // today's single stream
    ];

    /// <summary>Short names for the JSON (<c>q</c>, <c>h</c>, <c>f</c>).</summary>
    public static readonly string[] Rids = [.. All.Select(l => l.Rid)];

    /// <summary>The layer whose packets have <paramref name="payloadLength"/> bytes of payload, or −1.</summary>
    public static int ByPayloadLength(int payloadLength)
    {
        foreach (var layer in All)
        {
            if (layer.PayloadSize == payloadLength)
            {
                return layer.Index;
            }
        }

        return -1;
    }

    /// <summary>True if <paramref name="layer"/> sends a packet in the full layer's slot <paramref name="slot"/> (0–7) of a frame.</summary>
    public static bool SendsIn(BenchLayer layer, int slot) => slot % (SlotsPerFrame / layer.PacketsPerFrame) == 0;

    /// <summary>True if the packet <paramref name="layer"/> sends in <paramref name="slot"/> is its frame's last (marker bit).</summary>
    public static bool EndsFrame(BenchLayer layer, int slot) => slot == SlotsPerFrame - (SlotsPerFrame / layer.PacketsPerFrame);

    /// <summary>
    /// Writes the layer's packet number <paramref name="index"/> (frame <paramref name="frame"/>) into
    /// <paramref name="packet"/> and returns its length: with the RID element (one-byte form, id
    /// <paramref name="ridId"/>) when <paramref name="ridId"/> is not 0.
    /// </summary>
    public static int Write(Span<byte> packet, BenchLayer layer, long index, long frame, bool marker, byte ridId)
    {
        var at = RtpHeader.WriteFixed(packet, marker, 97, (ushort)(layer.FirstSequence + index), (uint)(layer.TimestampBase + (frame * 2903)), layer.Ssrc);
        if (ridId != 0)
        {
            packet[0] |= 0x10; // X: one header extension block
            BinaryPrimitives.WriteUInt16BigEndian(packet[at..], RtpExtensions.OneByteProfile);
            var words = (1 + layer.Rid.Length + 3) / 4;
            BinaryPrimitives.WriteUInt16BigEndian(packet[(at + 2)..], (ushort)words);
            packet.Slice(at + 4, words * 4).Clear();
            packet[at + 4] = (byte)((ridId << 4) | (layer.Rid.Length - 1));
            System.Text.Encoding.ASCII.GetBytes(layer.Rid, packet[(at + 5)..]);
            at += 4 + (words * 4);
        }

        var payload = packet.Slice(at, layer.PayloadSize);
        payload.Clear();
        payload[0] = 0x10; // VP8 descriptor: S=1, PID 0
        payload[1] = 0x00; // VP8 payload header: key frame (so every subscriber starts, and switches, at once)
        BinaryPrimitives.WriteInt64BigEndian(payload[IndexAt..], index);
        payload[LayerAt] = (byte)layer.Index;
        return at + layer.PayloadSize;
    }
}
