using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;

namespace Lilium.WebRtc.Srtp;

/// <summary>
/// SRTP_AES128_CM_HMAC_SHA1_80 (RFC 3711 §4.1.1, §4.2; RFC 5764 §4.1.2): AES in counter mode, the keystream from one
/// ECB pass of a transform keyed once per session over the counter blocks and a vectorised XOR; HMAC-SHA1 truncated to 80 bits over the packet
/// with the ROC appended (RTP) or over the packet and its E‖index (RTCP). The HMACs are keyed once per session
/// (<see cref="IncrementalHash"/>), not per packet.
/// </summary>
internal sealed class SrtpCipherAesCmHmacSha1 : ISrtpCipher
{
    private const int TagSize = 10;
    private const int IndexSize = 4;
    private const uint EncryptedFlag = 0x8000_0000;

    private readonly Direction _rtp;
    private readonly Direction _rtcp;

    public SrtpCipherAesCmHmacSha1(byte[] rtpKey, byte[] rtpAuthKey, byte[] rtpSalt, byte[] rtcpKey, byte[] rtcpAuthKey, byte[] rtcpSalt)
    {
        _rtp = new Direction(rtpKey, rtpAuthKey, rtpSalt);
        _rtcp = new Direction(rtcpKey, rtcpAuthKey, rtcpSalt);
    }

    public int RtpOverhead => TagSize;

    public int RtcpOverhead => IndexSize + TagSize;

    public int ProtectRtp(Span<byte> buffer, int header, int length, uint ssrc, uint roc, ushort seq)
    {
        Transform(_rtp, buffer[header..length], ssrc, Index(roc, seq));

        // Tag = HMAC-SHA1(k_a, packet ‖ ROC)[..10]: the ROC goes where the tag will be, then the tag over it.
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], roc);
        Span<byte> mac = stackalloc byte[20];
        _rtp.Mac(buffer[..(length + 4)], mac);
        mac[..TagSize].CopyTo(buffer[length..]);
        return length + TagSize;
    }

    public bool TryUnprotectRtp(Span<byte> buffer, int header, int length, uint ssrc, uint roc, ushort seq, out int plainLength)
    {
        plainLength = 0;
        var authenticated = length - TagSize;
        Span<byte> tag = stackalloc byte[TagSize];
        buffer.Slice(authenticated, TagSize).CopyTo(tag);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[authenticated..], roc);
        Span<byte> mac = stackalloc byte[20];
        _rtp.Mac(buffer[..(authenticated + 4)], mac);
        tag.CopyTo(buffer[authenticated..]);
        if (!CryptographicOperations.FixedTimeEquals(mac[..TagSize], tag))
        {
            return false;
        }

        Transform(_rtp, buffer[header..authenticated], ssrc, Index(roc, seq));
        plainLength = authenticated;
        return true;
    }

    public int ProtectRtcp(Span<byte> buffer, int length, uint ssrc, uint index)
    {
        Transform(_rtcp, buffer[8..length], ssrc, index);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], EncryptedFlag | index);
        var authenticated = length + IndexSize;
        Span<byte> mac = stackalloc byte[20];
        _rtcp.Mac(buffer[..authenticated], mac);
        mac[..TagSize].CopyTo(buffer[authenticated..]);
        return authenticated + TagSize;
    }

    // header ‖ ciphertext ‖ E‖index ‖ tag
    public uint ReadRtcpTrailer(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[^(TagSize + IndexSize)..]);

    public bool TryUnprotectRtcp(Span<byte> buffer, int length, uint ssrc, uint trailer, out int plainLength)
    {
        plainLength = 0;
        var authenticated = length - TagSize;
        Span<byte> mac = stackalloc byte[20];
        _rtcp.Mac(buffer[..authenticated], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..TagSize], buffer.Slice(authenticated, TagSize)))
        {
            return false;
        }

        var bodyEnd = authenticated - IndexSize;
        if ((trailer & EncryptedFlag) != 0)
        {
            Transform(_rtcp, buffer[8..bodyEnd], ssrc, trailer & 0x7FFF_FFFF);
        }

        plainLength = bodyEnd;
        return true;
    }

    public void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    private static ulong Index(uint roc, ushort seq) => ((ulong)roc << 16) | seq;

    /// <summary>
    /// AES-CM (RFC 3711 §4.1.1): XORs <paramref name="data"/> with the keystream from
    /// <c>IV = (k_s·2¹⁶) ⊕ (SSRC·2⁶⁴) ⊕ (index·2¹⁶)</c>, the low 16 bits counting blocks.
    /// </summary>
    private static void Transform(Direction keys, Span<byte> data, uint ssrc, ulong index)
    {
        if (data.IsEmpty)
        {
            return;
        }

        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        keys.Salt.CopyTo(iv);                                   // k_s · 2^16: bytes 0..13
        BinaryPrimitives.WriteUInt32BigEndian(iv[4..], BinaryPrimitives.ReadUInt32BigEndian(iv[4..]) ^ ssrc);            // SSRC · 2^64: bytes 4..7
        BinaryPrimitives.WriteUInt64BigEndian(iv[8..], BinaryPrimitives.ReadUInt64BigEndian(iv[8..]) ^ (index << 16));   // index · 2^16: bytes 8..13

        var blocks = (data.Length + 15) / 16;
        if (blocks * 16 <= Direction.ScratchSize)
        {
            // The common case: the session's keyed ECB transform over its own scratch (no key schedule, no allocation).
            var input = keys.Counters;
            for (var b = 0; b < blocks; b++)
            {
                iv.CopyTo(input.AsSpan(b * 16, 16));
                BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan((b * 16) + 14), (ushort)b);
            }

            keys.Ecb.TransformBlock(input, 0, blocks * 16, keys.Keystream, 0);
            Xor(data, keys.Keystream);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(2 * blocks * 16);
        var counters = rented.AsSpan(0, blocks * 16);
        var keystream = rented.AsSpan(blocks * 16, blocks * 16);
        for (var b = 0; b < blocks; b++)
        {
            var block = counters.Slice(b * 16, 16);
            iv.CopyTo(block);
            BinaryPrimitives.WriteUInt16BigEndian(block[14..], (ushort)b);
        }

        keys.Aes.EncryptEcb(counters, keystream, PaddingMode.None);
        Xor(data, keystream);
        ArrayPool<byte>.Shared.Return(rented);
    }

    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        var i = 0;
        var width = Vector<byte>.Count;
        for (; i + width <= data.Length; i += width)
        {
            (new Vector<byte>(data[i..]) ^ new Vector<byte>(keystream[i..])).CopyTo(data[i..]);
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }

    /// <summary>The keys of SRTP or of SRTCP and the cipher objects made from them once.</summary>
    private sealed class Direction : IDisposable
    {
        private readonly IncrementalHash _hmac;

        public Direction(byte[] key, byte[] authKey, byte[] salt)
        {
            Aes = System.Security.Cryptography.Aes.Create();
            Aes.Key = key;
            Aes.Mode = CipherMode.ECB;
            Aes.Padding = PaddingMode.None;
            Ecb = Aes.CreateEncryptor();
            _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, authKey);
            Salt = salt;
        }

        /// <summary>Bytes of keystream the scratch holds: a 2,048-byte datagram's worth.</summary>
        public const int ScratchSize = 2048;

        public System.Security.Cryptography.Aes Aes { get; }

        /// <summary>The key's ECB transform, keyed once (<see cref="SymmetricAlgorithm.EncryptEcb(ReadOnlySpan{byte}, PaddingMode)"/> keys a cipher per call).</summary>
        public ICryptoTransform Ecb { get; }

        public byte[] Counters { get; } = new byte[ScratchSize];

        public byte[] Keystream { get; } = new byte[ScratchSize];

        public byte[] Salt { get; }

        /// <summary>HMAC-SHA1 of <paramref name="data"/> into <paramref name="mac"/> (20 bytes), the key kept for the next packet.</summary>
        public void Mac(ReadOnlySpan<byte> data, Span<byte> mac)
        {
            _hmac.AppendData(data);
            _hmac.GetHashAndReset(mac);
        }

        public void Dispose()
        {
            Ecb.Dispose();
            Aes.Dispose();
            _hmac.Dispose();
        }
    }
}
