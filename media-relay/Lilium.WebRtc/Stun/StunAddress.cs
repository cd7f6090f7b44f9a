using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Lilium.WebRtc.Stun;

/// <summary>
/// XOR-MAPPED-ADDRESS (RFC 5389 §15.2):
/// <code>
/// |0 0 0 0 0 0 0 0|    Family     |         X-Port                |
/// |                X-Address (32 bits or 128 bits)                |
/// </code>
/// The port is XORed with the cookie's top 16 bits; IPv4 with the cookie; IPv6 with cookie ‖ transaction id.
/// </summary>
public static class StunAddress
{
    private const byte FamilyV4 = 0x01;
    private const byte FamilyV6 = 0x02;

    public static int Size(IPEndPoint endpoint) => endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? 20 : 8;

    public static int WriteXor(Span<byte> destination, IPEndPoint endpoint, ReadOnlySpan<byte> transactionId)
    {
        var address = endpoint.Address.IsIPv4MappedToIPv6 ? endpoint.Address.MapToIPv4() : endpoint.Address;
        var v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        destination[0] = 0;
        destination[1] = v6 ? FamilyV6 : FamilyV4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)(endpoint.Port ^ (StunMessage.MagicCookie >> 16)));
        var bytes = destination[4..(v6 ? 20 : 8)];
        address.TryWriteBytes(bytes, out _);
        Xor(bytes, transactionId);
        return 4 + bytes.Length;
    }

    public static IPEndPoint? TryReadXor(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId)
    {
        if (value.Length < 4)
        {
            return null;
        }

        var length = value[1] switch
        {
            FamilyV4 => 4,
            FamilyV6 => 16,
            _ => 0,
        };
        if (length == 0 || value.Length != 4 + length)
        {
            return null;
        }

        Span<byte> address = stackalloc byte[length];
        value[4..].CopyTo(address);
        Xor(address, transactionId);
        var port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]) ^ (int)(StunMessage.MagicCookie >> 16);
        return new IPEndPoint(new IPAddress(address), port);
    }

    private static void Xor(Span<byte> address, ReadOnlySpan<byte> transactionId)
    {
        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunMessage.MagicCookie);
        transactionId.CopyTo(mask[4..]);
        for (var i = 0; i < address.Length; i++)
        {
            address[i] ^= mask[i];
        }
    }
}
