using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Lilium.WebRtc.Srtp;

/// <summary>
/// SRTP_AEAD_AES_128_GCM (RFC 7714): AES-GCM with a 128-bit tag, the RTP header (and for SRTCP the first eight bytes
/// and E‖index) as additional data. Sealing goes through <see cref="OpenSslGcmSealer"/> where libcrypto 3 is at hand
/// (one keyed context per session), else <see cref="AesGcm"/>; opening through <see cref="AesGcm"/>.
/// </summary>
internal sealed class SrtpCipherAeadAesGcm : ISrtpCipher
{
    private const int TagSize = 16;
    private const int NonceSize = 12; // RFC 7714 §8.1
    private const int IndexSize = 4;
    private const uint EncryptedFlag = 0x8000_0000;

    private readonly Direction _rtp;
    private readonly Direction _rtcp;

    public SrtpCipherAeadAesGcm(byte[] rtpKey, byte[] rtpSalt, byte[] rtcpKey, byte[] rtcpSalt)
    {
        _rtp = new Direction(rtpKey, rtpSalt);
        _rtcp = new Direction(rtcpKey, rtcpSalt);
    }

    public int RtpOverhead => TagSize;

    public int RtcpOverhead => IndexSize + TagSize;

    public int ProtectRtp(Span<byte> buffer, int header, int length, uint ssrc, uint roc, ushort seq)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        RtpNonce(nonce, _rtp.Salt, ssrc, roc, seq);
        return Seal(_rtp, buffer, header, length, nonce, buffer[..header]);
    }

    public bool TryUnprotectRtp(Span<byte> buffer, int header, int length, uint ssrc, uint roc, ushort seq, out int plainLength)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        RtpNonce(nonce, _rtp.Salt, ssrc, roc, seq);
        return TryOpen(_rtp, buffer, header, length, nonce, buffer[..header], out plainLength);
    }

    // header ‖ ciphertext ‖ tag ‖ E‖index (RFC 7714 §9.1)
    public int ProtectRtcp(Span<byte> buffer, int length, uint ssrc, uint index)
    {
        var trailer = EncryptedFlag | index;
        Span<byte> aad = stackalloc byte[8 + IndexSize];
        buffer[..8].CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad[8..], trailer);
        Span<byte> nonce = stackalloc byte[NonceSize];
        RtcpNonce(nonce, _rtcp.Salt, ssrc, index);
        var n = Seal(_rtcp, buffer, 8, length, nonce, aad);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[n..], trailer);
        return n + IndexSize;
    }

    public uint ReadRtcpTrailer(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[^IndexSize..]);

    public bool TryUnprotectRtcp(Span<byte> buffer, int length, uint ssrc, uint trailer, out int plainLength)
    {
        plainLength = 0;
        if ((trailer & EncryptedFlag) == 0)
        {
            return false; // unencrypted SRTCP under GCM (tag only) is not used by WebRTC peers
        }

        Span<byte> aad = stackalloc byte[8 + IndexSize];
        buffer[..8].CopyTo(aad);
        BinaryPrimitives.WriteUInt32BigEndian(aad[8..], trailer);
        Span<byte> nonce = stackalloc byte[NonceSize];
        RtcpNonce(nonce, _rtcp.Salt, ssrc, trailer & 0x7FFF_FFFF);
        return TryOpen(_rtcp, buffer, 8, length - IndexSize, nonce, aad, out plainLength);
    }

    public void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    /// <summary>RFC 7714 §8.1: IV = salt ⊕ (0⁰⁰ ‖ SSRC ‖ ROC ‖ SEQ).</summary>
    private static void RtpNonce(Span<byte> nonce, byte[] salt, uint ssrc, uint roc, ushort seq)
    {
        BinaryPrimitives.WriteUInt16BigEndian(nonce, 0);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[6..], roc);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[10..], seq);
        XorInto(nonce, salt);
    }

    /// <summary>RFC 7714 §9.1: IV = salt ⊕ (0⁰⁰ ‖ SSRC ‖ 0⁰⁰ ‖ 0 ‖ SRTCP index).</summary>
    private static void RtcpNonce(Span<byte> nonce, byte[] salt, uint ssrc, uint index)
    {
        BinaryPrimitives.WriteUInt16BigEndian(nonce, 0);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[6..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[8..], index);
        XorInto(nonce, salt);
    }

    private static void XorInto(Span<byte> target, ReadOnlySpan<byte> mask)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] ^= mask[i];
        }
    }

    private static int Seal(Direction keys, Span<byte> buffer, int start, int length, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad)
    {
        var plaintext = buffer[start..length];
        if (keys.Sealer is { } sealer)
        {
            sealer.Seal(nonce, plaintext, buffer.Slice(length, TagSize), aad);
        }
        else
        {
            keys.Aead.Encrypt(nonce, plaintext, plaintext, buffer.Slice(length, TagSize), aad);
        }

        return length + TagSize;
    }

    private static bool TryOpen(Direction keys, Span<byte> buffer, int start, int end, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, out int plainLength)
    {
        plainLength = 0;
        var cipherEnd = end - TagSize;
        if (cipherEnd < start)
        {
            return false;
        }

        var ciphertext = buffer[start..cipherEnd];
        try
        {
            keys.Aead.Decrypt(nonce, ciphertext, buffer.Slice(cipherEnd, TagSize), ciphertext, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        plainLength = cipherEnd;
        return true;
    }

    /// <summary>The key of SRTP or of SRTCP and the cipher objects made from it once.</summary>
    private sealed class Direction(byte[] key, byte[] salt) : IDisposable
    {
        public AesGcm Aead { get; } = new(key, TagSize);

        /// <summary>The fast path for sealing where OpenSSL 3 is at hand (Linux); else <see cref="Aead"/> seals.</summary>
        public OpenSslGcmSealer? Sealer { get; } = OpenSslGcmSealer.TryCreate(key, TagSize);

        public byte[] Salt { get; } = salt;

        public void Dispose()
        {
            Aead.Dispose();
            Sealer?.Dispose();
        }
    }
}
