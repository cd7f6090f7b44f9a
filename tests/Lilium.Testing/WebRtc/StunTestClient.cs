using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Lilium.Testing.WebRtc;

/// <summary>Builds ICE connectivity checks (RFC 5389 Binding requests with USERNAME, PRIORITY, USE-CANDIDATE and MESSAGE-INTEGRITY) for tests.</summary>
public static class StunTestClient
{
    public static byte[] BindingRequest(string username, string password, bool useCandidate, out byte[] transactionId)
    {
        transactionId = RandomNumberGenerator.GetBytes(12);
        var user = Encoding.UTF8.GetBytes(username);
        var userPadded = (user.Length + 3) & ~3;
        var length = 20 + 4 + userPadded + 8 + (useCandidate ? 4 : 0) + 24;
        var m = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(m, 0x0001);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), (ushort)(length - 20));
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), 0x2112A442);
        transactionId.CopyTo(m, 8);
        var at = 20;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at), 0x0006);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at + 2), (ushort)user.Length);
        user.CopyTo(m, at + 4);
        at += 4 + userPadded;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at), 0x0024);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at + 2), 4);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(at + 4), 1845501695);
        at += 8;
        if (useCandidate)
        {
            BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at), 0x0025);
            at += 4;
        }

        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at), 0x0008);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(at + 2), 20);
        HMACSHA1.HashData(Encoding.UTF8.GetBytes(password), m.AsSpan(0, at), m.AsSpan(at + 4, 20));
        return m;
    }

    /// <summary>The XOR-MAPPED-ADDRESS of a success response, and whether its MESSAGE-INTEGRITY verifies with <paramref name="password"/>.</summary>
    public static (IPEndPoint? Mapped, bool IntegrityOk, ushort Type) ReadResponse(ReadOnlySpan<byte> r, string password)
    {
        var type = BinaryPrimitives.ReadUInt16BigEndian(r);
        IPEndPoint? mapped = null;
        var integrity = false;
        for (var at = 20; at + 4 <= r.Length;)
        {
            var attr = BinaryPrimitives.ReadUInt16BigEndian(r[at..]);
            var len = BinaryPrimitives.ReadUInt16BigEndian(r[(at + 2)..]);
            if (attr == 0x0020 && len == 8)
            {
                var port = BinaryPrimitives.ReadUInt16BigEndian(r[(at + 6)..]) ^ 0x2112;
                var ip = new byte[4];
                for (var i = 0; i < 4; i++)
                {
                    ip[i] = (byte)(r[at + 8 + i] ^ r[4 + i]);
                }

                mapped = new IPEndPoint(new IPAddress(ip), port);
            }
            else if (attr == 0x0008)
            {
                var copy = r[..at].ToArray();
                BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(2), (ushort)(at + 24 - 20));
                var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(password), copy);
                integrity = mac.AsSpan().SequenceEqual(r.Slice(at + 4, 20));
            }

            at += 4 + ((len + 3) & ~3);
        }

        return (mapped, integrity, type);
    }
}
