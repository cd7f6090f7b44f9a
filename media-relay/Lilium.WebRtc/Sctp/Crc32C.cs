using System.Buffers.Binary;
using System.Numerics;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// CRC32c (Castagnoli), the SCTP checksum (RFC 4960 §6.8, Appendix B), on the CPU's CRC32
/// instruction through <see cref="BitOperations.Crc32C(uint, ulong)"/>.
/// </summary>
internal static class Crc32C
{
    public const uint Initial = 0xFFFFFFFFu;

    public static uint Append(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= 8)
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return state;
    }

    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(Initial, data);
}
