using System.Buffers.Binary;

namespace Lilium.WebRtc.Rtcp;

/// <summary>
/// A reception report block (RFC 3550 §6.4.1), 24 bytes.
/// <code>
/// |                 SSRC_n (source identifier)                    |
/// | fraction lost |       cumulative number of packets lost       |
/// |           extended highest sequence number received           |
/// |                      interarrival jitter                      |
/// |                         last SR (LSR)                         |
/// |                   delay since last SR (DLSR, 1/65536 s)       |
/// </code>
/// </summary>
public readonly record struct ReportBlock(uint Ssrc, byte FractionLost, int CumulativeLost, uint HighestSequence, uint Jitter, uint LastSenderReport, uint DelaySinceLastSenderReport)
{
    public const int Size = 24;

    public static ReportBlock Read(ReadOnlySpan<byte> b)
    {
        var lost = (b[5] << 16) | (b[6] << 8) | b[7];
        if ((lost & 0x800000) != 0)
        {
            lost |= unchecked((int)0xFF000000); // 24-bit two's complement
        }

        return new ReportBlock(
            BinaryPrimitives.ReadUInt32BigEndian(b), b[4], lost,
            BinaryPrimitives.ReadUInt32BigEndian(b[8..]), BinaryPrimitives.ReadUInt32BigEndian(b[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[16..]), BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
    }

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Ssrc);
        b[4] = FractionLost;
        var lost = Math.Clamp(CumulativeLost, -0x800000, 0x7FFFFF);
        b[5] = (byte)(lost >> 16);
        b[6] = (byte)(lost >> 8);
        b[7] = (byte)lost;
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], HighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(b[20..], DelaySinceLastSenderReport);
    }
}
