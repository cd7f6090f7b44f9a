using System.Buffers.Binary;

namespace Lilium.WebRtc.Rtcp;

/// <summary>
/// The common part of feedback messages (RFC 4585 §6.1), transport-layer (PT 205) and
/// payload-specific (PT 206):
/// <code>
/// |V=2|P|   FMT   |       PT      |          length               |
/// |                  SSRC of packet sender                        |
/// |                  SSRC of media source                         |
/// :            Feedback Control Information (FCI)                 :
/// </code>
/// </summary>
public readonly record struct RtcpFeedback(RtcpPacketType Type, byte Format, uint SenderSsrc, uint MediaSsrc)
{
    public const int HeaderSize = 12;

    // Transport-layer FMTs (PT 205).
    public const byte GenericNackFormat = 1;
    public const byte TransportCcFormat = 15;

    // Payload-specific FMTs (PT 206).
    public const byte PliFormat = 1;
    public const byte FirFormat = 4;
    public const byte ApplicationLayerFormat = 15; // REMB

    public static bool TryRead(ReadOnlySpan<byte> packet, out RtcpFeedback feedback, out ReadOnlySpan<byte> fci)
    {
        feedback = default;
        fci = default;
        if (!RtcpHeader.TryRead(packet, out var h) || h.Size < HeaderSize
            || h.Type is not (RtcpPacketType.TransportFeedback or RtcpPacketType.PayloadFeedback))
        {
            return false;
        }

        feedback = new RtcpFeedback(h.Type, h.Format, BinaryPrimitives.ReadUInt32BigEndian(packet[4..]), BinaryPrimitives.ReadUInt32BigEndian(packet[8..]));
        fci = packet[HeaderSize..h.Size];
        return true;
    }

    public bool IsPli => Type == RtcpPacketType.PayloadFeedback && Format == PliFormat;

    public bool IsFir => Type == RtcpPacketType.PayloadFeedback && Format == FirFormat;

    public bool IsNack => Type == RtcpPacketType.TransportFeedback && Format == GenericNackFormat;

    public bool IsTransportCc => Type == RtcpPacketType.TransportFeedback && Format == TransportCcFormat;

    /// <summary>Rewrites the media source SSRC in place (an SFU maps a subscriber's view back to the publisher's).</summary>
    public static void WriteMediaSsrc(Span<byte> packet, uint ssrc) => BinaryPrimitives.WriteUInt32BigEndian(packet[8..], ssrc);

    public static void WriteSenderSsrc(Span<byte> packet, uint ssrc) => BinaryPrimitives.WriteUInt32BigEndian(packet[4..], ssrc);

    internal static void WriteHeader(Span<byte> destination, RtcpPacketType type, byte format, int size, uint sender, uint media)
    {
        RtcpHeader.Write(destination, format, type, size);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], sender);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], media);
    }
}

/// <summary>Picture loss indication (RFC 4585 §6.3.1): no FCI.</summary>
public static class PictureLossIndication
{
    public const int Size = RtcpFeedback.HeaderSize;

    public static int Write(Span<byte> destination, uint sender, uint media)
    {
        RtcpFeedback.WriteHeader(destination, RtcpPacketType.PayloadFeedback, RtcpFeedback.PliFormat, Size, sender, media);
        return Size;
    }
}

/// <summary>
/// Generic NACK (RFC 4585 §6.2.1): FCI entries of a packet id (PID) and a bitmask of the 16 that
/// follow it (BLP).
/// </summary>
public static class GenericNack
{
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtcpFeedback feedback, out List<ushort> lost)
    {
        lost = [];
        if (!RtcpFeedback.TryRead(packet, out feedback, out var fci) || !feedback.IsNack || fci.Length % 4 != 0)
        {
            return false;
        }

        for (var at = 0; at < fci.Length; at += 4)
        {
            var pid = BinaryPrimitives.ReadUInt16BigEndian(fci[at..]);
            var blp = BinaryPrimitives.ReadUInt16BigEndian(fci[(at + 2)..]);
            lost.Add(pid);
            for (var bit = 0; bit < 16; bit++)
            {
                if ((blp & (1 << bit)) != 0)
                {
                    lost.Add((ushort)(pid + bit + 1));
                }
            }
        }

        return true;
    }

    /// <summary>Packs the lost sequence numbers (in order) into PID/BLP entries.</summary>
    public static int Write(Span<byte> destination, uint sender, uint media, IReadOnlyList<ushort> lost)
    {
        var entries = new List<(ushort Pid, ushort Blp)>();
        foreach (var seq in lost)
        {
            if (entries.Count > 0)
            {
                var (pid, blp) = entries[^1];
                var distance = (ushort)(seq - pid);
                if (distance is >= 1 and <= 16)
                {
                    entries[^1] = (pid, (ushort)(blp | (1 << (distance - 1))));
                    continue;
                }
            }

            entries.Add((seq, 0));
        }

        var size = RtcpFeedback.HeaderSize + (4 * entries.Count);
        RtcpFeedback.WriteHeader(destination, RtcpPacketType.TransportFeedback, RtcpFeedback.GenericNackFormat, size, sender, media);
        for (var i = 0; i < entries.Count; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[(12 + (4 * i))..], entries[i].Pid);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(14 + (4 * i))..], entries[i].Blp);
        }

        return size;
    }
}

/// <summary>Full intra request (RFC 5104 §4.3.1): FCI entries of SSRC and a command sequence number.</summary>
public sealed record FullIntraRequest(uint SenderSsrc, IReadOnlyList<(uint Ssrc, byte Sequence)> Entries)
{
    public int Size => RtcpFeedback.HeaderSize + (8 * Entries.Count);

    public static bool TryParse(ReadOnlySpan<byte> packet, out FullIntraRequest? fir)
    {
        fir = null;
        if (!RtcpFeedback.TryRead(packet, out var feedback, out var fci) || !feedback.IsFir || fci.Length % 8 != 0)
        {
            return false;
        }

        var entries = new List<(uint, byte)>();
        for (var at = 0; at < fci.Length; at += 8)
        {
            entries.Add((BinaryPrimitives.ReadUInt32BigEndian(fci[at..]), fci[at + 4]));
        }

        fir = new FullIntraRequest(feedback.SenderSsrc, entries);
        return true;
    }

    public int WriteTo(Span<byte> destination)
    {
        var size = Size;
        destination[..size].Clear();
        RtcpFeedback.WriteHeader(destination, RtcpPacketType.PayloadFeedback, RtcpFeedback.FirFormat, size, SenderSsrc, 0);
        for (var i = 0; i < Entries.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(12 + (8 * i))..], Entries[i].Ssrc);
            destination[16 + (8 * i)] = Entries[i].Sequence;
        }

        return size;
    }
}

/// <summary>
/// Receiver estimated maximum bitrate (draft-alvestrand-rmcat-remb-03 §2.2): PSFB FMT 15 with
/// "REMB", the SSRC count, a 6-bit exponent and 18-bit mantissa, then the SSRCs.
/// </summary>
public sealed record ReceiverEstimatedMaxBitrate(uint SenderSsrc, ulong Bitrate, IReadOnlyList<uint> Ssrcs)
{
    private static ReadOnlySpan<byte> Identifier => "REMB"u8;

    public int Size => RtcpFeedback.HeaderSize + 8 + (4 * Ssrcs.Count);

    public static bool TryParse(ReadOnlySpan<byte> packet, out ReceiverEstimatedMaxBitrate? remb)
    {
        remb = null;
        if (!RtcpFeedback.TryRead(packet, out var f, out var fci) || f.Type != RtcpPacketType.PayloadFeedback
            || f.Format != RtcpFeedback.ApplicationLayerFormat || fci.Length < 8 || !fci[..4].SequenceEqual(Identifier)
            || fci.Length < 8 + (4 * fci[4]))
        {
            return false;
        }

        var exponent = fci[5] >> 2;
        var mantissa = ((fci[5] & 0x03) << 16) | (fci[6] << 8) | fci[7];
        var ssrcs = new uint[fci[4]];
        for (var i = 0; i < ssrcs.Length; i++)
        {
            ssrcs[i] = BinaryPrimitives.ReadUInt32BigEndian(fci[(8 + (4 * i))..]);
        }

        remb = new ReceiverEstimatedMaxBitrate(f.SenderSsrc, exponent >= 46 ? ulong.MaxValue : (ulong)mantissa << exponent, ssrcs);
        return true;
    }

    public int WriteTo(Span<byte> destination)
    {
        var size = Size;
        RtcpFeedback.WriteHeader(destination, RtcpPacketType.PayloadFeedback, RtcpFeedback.ApplicationLayerFormat, size, SenderSsrc, 0);
        Identifier.CopyTo(destination[12..]);
        destination[16] = checked((byte)Ssrcs.Count);
        var exponent = 0;
        var mantissa = Bitrate;
        while (mantissa >= 1UL << 18)
        {
            mantissa >>= 1;
            exponent++;
        }

        destination[17] = (byte)((exponent << 2) | (int)(mantissa >> 16));
        destination[18] = (byte)(mantissa >> 8);
        destination[19] = (byte)mantissa;
        for (var i = 0; i < Ssrcs.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(20 + (4 * i))..], Ssrcs[i]);
        }

        return size;
    }
}

/// <summary>
/// The fixed part of transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1):
/// base sequence, packet status count, 24-bit signed reference time (×64 ms) and feedback packet
/// count. Chunks and deltas follow; an SFU forwards or answers them, it does not need them parsed.
/// </summary>
public readonly record struct TransportCcHeader(uint SenderSsrc, uint MediaSsrc, ushort BaseSequence, ushort StatusCount, int ReferenceTime, byte FeedbackCount)
{
    public static bool TryParse(ReadOnlySpan<byte> packet, out TransportCcHeader header)
    {
        header = default;
        if (!RtcpFeedback.TryRead(packet, out var f, out var fci) || !f.IsTransportCc || fci.Length < 8)
        {
            return false;
        }

        var reference = (fci[4] << 16) | (fci[5] << 8) | fci[6];
        if ((reference & 0x800000) != 0)
        {
            reference |= unchecked((int)0xFF000000);
        }

        header = new TransportCcHeader(f.SenderSsrc, f.MediaSsrc, BinaryPrimitives.ReadUInt16BigEndian(fci), BinaryPrimitives.ReadUInt16BigEndian(fci[2..]), reference, fci[7]);
        return true;
    }
}
