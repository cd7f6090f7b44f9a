using System.Buffers.Binary;
using System.Text;

namespace Lilium.WebRtc.Rtcp;

/// <summary>
/// Sender report (RFC 3550 §6.4.1): SSRC, NTP timestamp (64), RTP timestamp, packet and octet
/// counts, then report blocks.
/// </summary>
public sealed record SenderReport(uint Ssrc, ulong NtpTimestamp, uint RtpTimestamp, uint PacketCount, uint OctetCount, IReadOnlyList<ReportBlock> Reports)
{
    public int Size => 28 + (ReportBlock.Size * Reports.Count);

    /// <summary>The middle 32 bits of the NTP timestamp, as receivers echo it in LSR.</summary>
    public uint CompactNtp => (uint)(NtpTimestamp >> 16);

    public static bool TryParse(ReadOnlySpan<byte> packet, out SenderReport? report)
    {
        report = null;
        if (!RtcpHeader.TryRead(packet, out var h) || h.Type != RtcpPacketType.SenderReport || h.Size < 28 + (ReportBlock.Size * h.Count))
        {
            return false;
        }

        var blocks = new ReportBlock[h.Count];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = ReportBlock.Read(packet[(28 + (ReportBlock.Size * i))..]);
        }

        report = new SenderReport(
            BinaryPrimitives.ReadUInt32BigEndian(packet[4..]), BinaryPrimitives.ReadUInt64BigEndian(packet[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[16..]), BinaryPrimitives.ReadUInt32BigEndian(packet[20..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[24..]), blocks);
        return true;
    }

    public int WriteTo(Span<byte> destination)
    {
        RtcpHeader.Write(destination, (byte)Reports.Count, RtcpPacketType.SenderReport, Size);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], NtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], RtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(destination[20..], PacketCount);
        BinaryPrimitives.WriteUInt32BigEndian(destination[24..], OctetCount);
        for (var i = 0; i < Reports.Count; i++)
        {
            Reports[i].Write(destination[(28 + (ReportBlock.Size * i))..]);
        }

        return Size;
    }
}

/// <summary>Receiver report (RFC 3550 §6.4.2): the reporter's SSRC, then report blocks.</summary>
public sealed record ReceiverReport(uint Ssrc, IReadOnlyList<ReportBlock> Reports)
{
    public int Size => 8 + (ReportBlock.Size * Reports.Count);

    public static bool TryParse(ReadOnlySpan<byte> packet, out ReceiverReport? report)
    {
        report = null;
        if (!RtcpHeader.TryRead(packet, out var h) || h.Type != RtcpPacketType.ReceiverReport || h.Size < 8 + (ReportBlock.Size * h.Count))
        {
            return false;
        }

        var blocks = new ReportBlock[h.Count];
        for (var i = 0; i < blocks.Length; i++)
        {
            blocks[i] = ReportBlock.Read(packet[(8 + (ReportBlock.Size * i))..]);
        }

        report = new ReceiverReport(BinaryPrimitives.ReadUInt32BigEndian(packet[4..]), blocks);
        return true;
    }

    public int WriteTo(Span<byte> destination)
    {
        RtcpHeader.Write(destination, (byte)Reports.Count, RtcpPacketType.ReceiverReport, Size);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], Ssrc);
        for (var i = 0; i < Reports.Count; i++)
        {
            Reports[i].Write(destination[(8 + (ReportBlock.Size * i))..]);
        }

        return Size;
    }
}

/// <summary>Source description (RFC 3550 §6.5): the CNAME of each chunk's source (other items are skipped).</summary>
public sealed record SourceDescription(IReadOnlyList<(uint Ssrc, string Cname)> Chunks)
{
    private const byte CnameItem = 1;

    public static bool TryParse(ReadOnlySpan<byte> packet, out SourceDescription? sdes)
    {
        sdes = null;
        if (!RtcpHeader.TryRead(packet, out var h) || h.Type != RtcpPacketType.SourceDescription)
        {
            return false;
        }

        var chunks = new List<(uint, string)>();
        var at = 4;
        for (var c = 0; c < h.Count; c++)
        {
            if (at + 4 > h.Size)
            {
                return false;
            }

            var ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[at..]);
            at += 4;
            var cname = "";
            while (true)
            {
                if (at >= h.Size)
                {
                    return false;
                }

                var type = packet[at];
                if (type == 0)
                {
                    at = (at + 4) & ~3; // the null item, then padding to the next word
                    break;
                }

                if (at + 2 > h.Size || at + 2 + packet[at + 1] > h.Size)
                {
                    return false;
                }

                var value = packet.Slice(at + 2, packet[at + 1]);
                if (type == CnameItem)
                {
                    cname = Encoding.UTF8.GetString(value);
                }

                at += 2 + value.Length;
            }

            chunks.Add((ssrc, cname));
        }

        sdes = new SourceDescription(chunks);
        return true;
    }

    public int Size => 4 + Chunks.Sum(c => (4 + 2 + Encoding.UTF8.GetByteCount(c.Cname) + 4) & ~3);

    public int WriteTo(Span<byte> destination)
    {
        var size = Size;
        destination[..size].Clear();
        RtcpHeader.Write(destination, (byte)Chunks.Count, RtcpPacketType.SourceDescription, size);
        var at = 4;
        foreach (var (ssrc, cname) in Chunks)
        {
            var text = Encoding.UTF8.GetBytes(cname);
            BinaryPrimitives.WriteUInt32BigEndian(destination[at..], ssrc);
            destination[at + 4] = CnameItem;
            destination[at + 5] = checked((byte)text.Length);
            text.CopyTo(destination[(at + 6)..]);
            at = (at + 6 + text.Length + 4) & ~3;
        }

        return size;
    }
}

/// <summary>Goodbye (RFC 3550 §6.6): the sources leaving and an optional reason.</summary>
public sealed record Goodbye(IReadOnlyList<uint> Ssrcs, string Reason = "")
{
    public static bool TryParse(ReadOnlySpan<byte> packet, out Goodbye? bye)
    {
        bye = null;
        if (!RtcpHeader.TryRead(packet, out var h) || h.Type != RtcpPacketType.Goodbye || h.Size < 4 + (4 * h.Count))
        {
            return false;
        }

        var ssrcs = new uint[h.Count];
        for (var i = 0; i < ssrcs.Length; i++)
        {
            ssrcs[i] = BinaryPrimitives.ReadUInt32BigEndian(packet[(4 + (4 * i))..]);
        }

        var at = 4 + (4 * h.Count);
        var reason = "";
        if (at < h.Size)
        {
            var length = packet[at];
            if (at + 1 + length > h.Size)
            {
                return false;
            }

            reason = Encoding.UTF8.GetString(packet.Slice(at + 1, length));
        }

        bye = new Goodbye(ssrcs, reason);
        return true;
    }

    public int Size => (4 + (4 * Ssrcs.Count) + (Reason.Length > 0 ? 1 + Encoding.UTF8.GetByteCount(Reason) + 3 : 0)) & ~3;

    public int WriteTo(Span<byte> destination)
    {
        var size = Size;
        destination[..size].Clear();
        RtcpHeader.Write(destination, (byte)Ssrcs.Count, RtcpPacketType.Goodbye, size);
        for (var i = 0; i < Ssrcs.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(4 + (4 * i))..], Ssrcs[i]);
        }

        if (Reason.Length > 0)
        {
            var text = Encoding.UTF8.GetBytes(Reason);
            var at = 4 + (4 * Ssrcs.Count);
            destination[at] = checked((byte)text.Length);
            text.CopyTo(destination[(at + 1)..]);
        }

        return size;
    }
}
