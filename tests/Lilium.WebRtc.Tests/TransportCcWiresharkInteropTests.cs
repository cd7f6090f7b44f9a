using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtcp;

namespace Lilium.WebRtc.Tests;

/// <summary>
/// Our transport-cc feedback read by an independent decoder: Wireshark's RTCP dissector (Debian <c>tshark</c>, the
/// tool people check Chrome's feedback with). The recorder's packets for a varied arrival pattern (losses, reordering,
/// a long pause, 1-bit, 2-bit and run-length chunks) go into a pcap as UDP; tshark must find every packet well formed
/// and read the same sequence numbers, statuses and receive deltas as our parser.
/// </summary>
[Trait("Category", "Interop")]
public sealed partial class TransportCcWiresharkInteropTests
{
    [Fact]
    public async Task Wireshark_decodes_our_feedback_as_we_do()
    {
        var recorder = new TransportCcRecorder(senderSsrc: 0x0A0B0C0D, mediaSsrc: 0x01020304);
        var random = new Random(42);
        var packets = new List<byte[]>();
        var buffer = new byte[400];
        var now = 10_000_000L;
        for (var s = 0; s < 3000; s++)
        {
            now += random.Next(10) switch
            {
                0 => 70_000,                // a gap that needs a large delta
                1 => 0,                     // same tick
                _ => random.Next(100, 3_000),
            };
            if (s == 1500)
            {
                now += 9_000_000; // longer than a delta can say: the packet splits
            }

            if (random.Next(12) != 0)
            {
                recorder.OnPacket((ushort)(60_000 + s), s % 17 == 5 ? now - 5_000 : now); // some arrive "earlier": negative deltas
            }

            if (recorder.IsFeedbackDue(now))
            {
                while (recorder.TryWriteFeedback(buffer, now, out var n))
                {
                    packets.Add(buffer[..n]);
                }
            }
        }

        Assert.True(packets.Count > 20);
        var pcap = Path.Combine(Path.GetTempPath(), $"lilium-twcc-{Environment.ProcessId}.pcap");
        await File.WriteAllBytesAsync(pcap, Pcap(packets));
        try
        {
            var text = await TsharkAsync("-r", pcap, "-d", "udp.port==5005,rtcp", "-V");
            Assert.DoesNotContain("Malformed", text, StringComparison.Ordinal);
            Assert.DoesNotContain("[Expert Info", text, StringComparison.Ordinal);
            foreach (var kind in new[] { "[Run Length Chunk]", "[1 bit Status Vector Chunk]", "[2 bits Status Vector Chunk]", "Negative Delta", "Large" })
            {
                Assert.Contains(kind, text, StringComparison.Ordinal); // the pattern exercised every encoding
            }

            var frames = text.Split("\nFrame ", StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(packets.Count, frames.Length);
            var parsed = new TransportCcFeedback();
            for (var i = 0; i < packets.Count; i++)
            {
                Assert.True(parsed.TryParse(packets[i]));
                var frame = frames[i];
                Assert.Contains($"Base Sequence Number: {parsed.BaseSequence} ", frame, StringComparison.Ordinal);
                Assert.Contains($"Packet Status Count: {parsed.StatusCount} ", frame, StringComparison.Ordinal);
                Assert.Contains($"Feedback Packets Count: {parsed.FeedbackCount} ", frame, StringComparison.Ordinal);

                // Wireshark lists one receive delta per received packet, with its sequence number.
                var theirs = DeltaLine().Matches(frame)
                    .Select(m => (Seq: ushort.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), Ms: double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))
                    .ToList();
                var ours = new List<(ushort Seq, double Ms)>();
                var previous = (long)parsed.ReferenceTime * TransportCcFeedback.ReferenceUnitMicros;
                foreach (var p in parsed.Packets)
                {
                    if (p.Received)
                    {
                        ours.Add((p.Sequence, (p.ArrivalMicros - previous) / 1000.0));
                        previous = p.ArrivalMicros;
                    }
                }

                Assert.Equal(ours, theirs);
            }
        }
        finally
        {
            File.Delete(pcap);
        }
    }

    [GeneratedRegex(@"Recv Delta: 0x[0-9a-f]+ [^\[]*\[seq: (\d+)\] (-?\d+\.\d+) ms")]
    private static partial Regex DeltaLine();

    /// <summary>A classic pcap (raw IPv4 link type) of one UDP datagram per RTCP packet, 127.0.0.1:5005 both ends.</summary>
    private static byte[] Pcap(List<byte[]> rtcp)
    {
        using var stream = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xA1B2C3D4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 101); // LINKTYPE_RAW
        stream.Write(header);
        Span<byte> record = stackalloc byte[16];
        foreach (var payload in rtcp)
        {
            var ip = new byte[20 + 8 + payload.Length];
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
            ip[8] = 64;
            ip[9] = 17;
            ip[12] = ip[16] = 127;
            ip[15] = ip[19] = 1;
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(20), 5005);
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(22), 5005);
            BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(24), (ushort)(8 + payload.Length));
            payload.CopyTo(ip.AsSpan(28));
            BinaryPrimitives.WriteUInt32LittleEndian(record[8..], (uint)ip.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record[12..], (uint)ip.Length);
            stream.Write(record);
            stream.Write(ip);
        }

        return stream.ToArray();
    }

    private static async Task<string> TsharkAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("tshark did not start (scripts/install-deps.sh installs it)");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"tshark exited {process.ExitCode}: {await error}");
        return await output;
    }
}
