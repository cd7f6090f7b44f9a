using System.Buffers.Binary;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// The SCTP common header (RFC 4960 §3.1) and checksum handling.
/// <code>
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |     Source Port Number        |     Destination Port Number   |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                      Verification Tag                         |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |                 Checksum (CRC32c, little-endian)              |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// </code>
/// </summary>
public readonly record struct SctpCommonHeader(ushort SourcePort, ushort DestinationPort, uint VerificationTag)
{
    public const int Size = 12;
    private const int ChecksumOffset = 8;

    /// <summary>Reads the header and verifies the checksum; false on a short or corrupt packet.</summary>
    public static bool TryRead(ReadOnlySpan<byte> packet, out SctpCommonHeader header)
    {
        header = default;
        if (packet.Length < Size + SctpChunk.HeaderSize)
        {
            return false;
        }

        var expected = BinaryPrimitives.ReadUInt32LittleEndian(packet[ChecksumOffset..]);
        if (ComputeChecksum(packet) != expected)
        {
            return false;
        }

        header = new SctpCommonHeader(
            BinaryPrimitives.ReadUInt16BigEndian(packet),
            BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[4..]));
        return true;
    }

    public void WriteTo(Span<byte> packet)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], VerificationTag);
        BinaryPrimitives.WriteUInt32LittleEndian(packet[ChecksumOffset..], 0);
    }

    /// <summary>Fills in the checksum of a complete packet whose header was written by <see cref="WriteTo"/>.</summary>
    public static void Seal(Span<byte> packet) =>
        BinaryPrimitives.WriteUInt32LittleEndian(packet[ChecksumOffset..], ComputeChecksum(packet));

    /// <summary>The CRC32c of the packet with its checksum field taken as zero.</summary>
    private static uint ComputeChecksum(ReadOnlySpan<byte> packet)
    {
        Span<byte> head = stackalloc byte[Size];
        packet[..Size].CopyTo(head);
        head[ChecksumOffset..].Clear();
        return ~Crc32C.Append(Crc32C.Append(Crc32C.Initial, head), packet[Size..]);
    }
}
