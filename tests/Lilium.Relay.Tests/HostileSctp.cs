using Lilium.WebRtc.Sctp;

namespace Lilium.Relay.Tests;

/// <summary>
/// Hostile SCTP packets for an established association whose verification tag the attacker knows
/// (it is the peer, inside DTLS): truncated and oversized chunks, out-of-window TSNs, bogus stream
/// ids, malformed DCEP, garbage SACK/FORWARD-TSN/RE-CONFIG, plus random bytes and mutations.
/// </summary>
internal static class HostileSctp
{
    public static IEnumerable<byte[]> Packets(Random random, uint tag)
    {
        for (var i = 0; i < 200; i++)
        {
            var junk = new byte[random.Next(0, 1200)];
            random.NextBytes(junk);
            yield return junk;
        }

        var crafted = new List<byte[]>
        {
            Seal(tag, Data(0x8000_0000u, 1, 0, DataChunkFlags.Beginning | DataChunkFlags.End, 50, 100)),      // far outside the window
            Seal(tag, Data(1, 65535, 0, DataChunkFlags.Beginning | DataChunkFlags.End, 50, 16)),                // bogus stream id, DCEP ppid
            Seal(tag, Data(2, 3, 0, DataChunkFlags.Beginning | DataChunkFlags.End, 50, 3)),                     // truncated DCEP
            Seal(tag, Data(3, 5, 0, DataChunkFlags.Beginning, 53, 1000)),                                     // fragment never finished
            Seal(tag, Chunk(SctpChunkType.Data, 3, new byte[5])),                                              // DATA shorter than its header
            Seal(tag, Chunk(SctpChunkType.Sack, 0, new byte[11])),                                             // truncated SACK
            Seal(tag, Chunk(SctpChunkType.Sack, 0, [0, 0, 0, 0, 0, 1, 0, 0, 0xFF, 0xFF, 0, 0, 0, 1, 0xFF, 0xFF])), // gap blocks claiming more than sent
            Seal(tag, Chunk(SctpChunkType.ForwardTsn, 0, [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0])),          // FORWARD-TSN far ahead, bogus stream
            Seal(tag, Chunk(SctpChunkType.ReConfig, 0, [0, 13, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF])), // reset request, bad length
            Seal(tag, Chunk(SctpChunkType.Heartbeat, 0, [0, 1, 0xFF, 0xFF])),                                  // heartbeat info longer than the chunk
            Seal(tag, Chunk((SctpChunkType)0x3F, 0xFF, new byte[8])),                                          // unknown chunk, "stop processing"
            Seal(tag, Chunk((SctpChunkType)0xBF, 0xFF, new byte[8])),                                          // unknown chunk, "skip and report"
            Seal(tag, Chunk(SctpChunkType.Init, 0, new byte[4])),                                              // INIT inside an association, truncated
        };

        // A chunk whose length field claims more than the packet holds.
        var oversized = Seal(tag, Chunk(SctpChunkType.Data, 3, new byte[20]));
        oversized[SctpCommonHeader.Size + 2] = 0xFF;
        oversized[SctpCommonHeader.Size + 3] = 0xF0;
        SctpCommonHeader.Seal(oversized);
        crafted.Add(oversized);

        foreach (var packet in crafted)
        {
            yield return packet;
        }

        for (var i = 0; i < 500; i++)
        {
            var p = (byte[])crafted[random.Next(crafted.Count)].Clone();
            for (var m = random.Next(1, 5); m > 0; m--)
            {
                p[random.Next(SctpCommonHeader.Size, p.Length)] = (byte)random.Next(256);
            }

            if (random.Next(3) == 0)
            {
                p = p[..random.Next(SctpCommonHeader.Size, p.Length + 1)];
            }

            SctpCommonHeader.Seal(p);
            yield return p;
        }
    }

    private static byte[] Seal(uint tag, byte[] chunk)
    {
        var packet = new byte[SctpCommonHeader.Size + SctpChunk.Padded(chunk.Length)];
        new SctpCommonHeader(5000, 5000, tag).WriteTo(packet);
        chunk.CopyTo(packet, SctpCommonHeader.Size);
        SctpCommonHeader.Seal(packet);
        return packet;
    }

    private static byte[] Chunk(SctpChunkType type, byte flags, byte[] value)
    {
        var c = new byte[SctpChunk.Padded(4 + value.Length)];
        SctpChunk.WriteHeader(c, type, flags, value.Length);
        value.CopyTo(c, 4);
        return c[..(4 + value.Length)];
    }

    private static byte[] Data(uint tsn, ushort stream, ushort ssn, DataChunkFlags flags, uint ppid, int size)
    {
        var c = new byte[DataChunk.Size(size)];
        var payload = new byte[size];
        if (size > 0)
        {
            payload[0] = 0x03; // DCEP DATA_CHANNEL_OPEN message type, then garbage
        }

        DataChunk.Write(c, flags, tsn, stream, ssn, ppid, payload);
        return c[..(4 + 12 + size)];
    }
}
