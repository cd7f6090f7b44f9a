using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Srtp;

/// <summary>
/// SRTP and SRTCP for one direction of one DTLS-SRTP association (RFC 3711; AES-GCM per RFC 7714):
/// session keys derived once from the master key, per-SSRC rollover counters and SRTCP indices,
/// and 128-packet replay windows on receipt. Packets are transformed in place in the caller's
/// buffer, which must have <see cref="RtpOverhead"/> / <see cref="RtcpOverhead"/> bytes of room
/// after the packet when protecting; the steady state allocates nothing.
/// <para>Not thread-safe: a direction's packets are handled one at a time.</para>
/// </summary>
public sealed class SrtpSession : IDisposable
{
    private const int CmTagSize = 10;
    private const int GcmTagSize = 16;
    private const int NonceSize = 12; // RFC 7714 §8.1
    private const int SrtcpIndexSize = 4;
    private const uint SrtcpEncryptedFlag = 0x8000_0000;
    private const int MaxStreams = 256;

    private readonly SrtpProtectionProfile _profile;
    private readonly Keys _rtp;
    private readonly Keys _rtcp;
    private readonly Dictionary<uint, (uint Roc, ushort LastSeq)> _sendRtp = [];
    private readonly Dictionary<uint, uint> _sendRtcp = [];
    private readonly Dictionary<uint, ReceiveState> _receiveRtp = [];
    private readonly Dictionary<uint, SrtpReplayWindow> _receiveRtcp = [];

    public SrtpSession(SrtpProtectionProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        if (masterKey.Length != profile.KeyLength() || masterSalt.Length != profile.SaltLength())
        {
            throw new ArgumentException($"srtp: {profile} takes a {profile.KeyLength()}-byte key and a {profile.SaltLength()}-byte salt.");
        }

        _profile = profile;
        var gcm = profile == SrtpProtectionProfile.AeadAes128Gcm;
        _rtp = new Keys(
            gcm,
            SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption, masterKey.Length),
            gcm ? null : SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpAuthentication, 20),
            SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtpSalt, masterSalt.Length));
        _rtcp = new Keys(
            gcm,
            SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpEncryption, masterKey.Length),
            gcm ? null : SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpAuthentication, 20),
            SrtpKeyDerivation.Derive(masterKey, masterSalt, SrtpKeyDerivation.RtcpSalt, masterSalt.Length));
    }

    /// <summary>A session over already-derived session keys (RFC 7714's vectors give those, not master keys).</summary>
    internal SrtpSession(SrtpProtectionProfile profile, byte[] sessionKey, byte[]? authKey, byte[] sessionSalt)
    {
        _profile = profile;
        var gcm = profile == SrtpProtectionProfile.AeadAes128Gcm;
        _rtp = new Keys(gcm, sessionKey, authKey, sessionSalt);
        _rtcp = new Keys(gcm, sessionKey, authKey, sessionSalt);
    }

    /// <summary>Bytes <see cref="TryProtectRtp"/> appends: the authentication tag.</summary>
    public int RtpOverhead => _rtp.IsGcm ? GcmTagSize : CmTagSize;

    /// <summary>Bytes <see cref="TryProtectRtcp"/> appends: the E flag and SRTCP index, and the tag.</summary>
    public int RtcpOverhead => SrtcpIndexSize + (_rtcp.IsGcm ? GcmTagSize : CmTagSize);

    public SrtpProtectionProfile Profile => _profile;

    /// <summary>The session that protects what we send, from the DTLS exporter's keys (RFC 5764 §4.2).</summary>
    public static SrtpSession ForSending(SrtpKeyingMaterial keys) => new(keys.Profile, keys.LocalKey.Span, keys.LocalSalt.Span);

    /// <summary>The session that unprotects what the peer sends.</summary>
    public static SrtpSession ForReceiving(SrtpKeyingMaterial keys) => new(keys.Profile, keys.RemoteKey.Span, keys.RemoteSalt.Span);

    /// <summary>Encrypts and authenticates the RTP packet in <c>buffer[..length]</c>; false if it is not RTP or the buffer lacks room.</summary>
    public bool TryProtectRtp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if (length > buffer.Length - RtpOverhead || !SrtpHeader.TryGetRtpHeaderLength(buffer[..length], out var header))
        {
            return false;
        }

        var ssrc = SrtpHeader.RtpSsrc(buffer);
        var seq = SrtpHeader.RtpSequence(buffer);
        if (!TryNextSendRoc(ssrc, seq, out var roc))
        {
            return false;
        }

        if (_rtp.IsGcm)
        {
            Span<byte> nonce = stackalloc byte[NonceSize];
            RtpNonce(nonce, _rtp.Salt, ssrc, roc, seq);
            protectedLength = GcmProtect(_rtp, buffer, header, length, nonce, buffer[..header]);
        }
        else
        {
            protectedLength = CmProtectRtp(buffer, header, length, ssrc, ((ulong)roc << 16) | seq, roc);
        }

        return true;
    }

    /// <summary>Authenticates and decrypts an SRTP packet in place; false on anything forged, replayed or malformed.</summary>
    public bool TryUnprotectRtp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        var tagSize = RtpOverhead;
        if (length > buffer.Length || !SrtpHeader.TryGetRtpHeaderLength(buffer[..length], out var header) || length < header + tagSize)
        {
            return false;
        }

        var ssrc = SrtpHeader.RtpSsrc(buffer);
        var seq = SrtpHeader.RtpSequence(buffer);
        var known = _receiveRtp.TryGetValue(ssrc, out var state);
        if (!known && _receiveRtp.Count >= MaxStreams)
        {
            return false;
        }

        var roc = known ? EstimateRoc(state!.Roc, state.HighestSeq, seq) : 0u;
        var index = ((ulong)roc << 16) | seq;
        if (known && !state!.Window.IsFresh(index))
        {
            return false;
        }

        bool ok;
        if (_rtp.IsGcm)
        {
            Span<byte> nonce = stackalloc byte[NonceSize];
            RtpNonce(nonce, _rtp.Salt, ssrc, roc, seq);
            ok = GcmUnprotect(_rtp, buffer, header, length, nonce, buffer[..header], out plainLength);
        }
        else
        {
            ok = CmUnprotectRtp(buffer, header, length, ssrc, index, roc, out plainLength);
        }

        if (!ok)
        {
            return false;
        }

        if (!known)
        {
            state = new ReceiveState { Roc = roc, HighestSeq = seq };
            _receiveRtp[ssrc] = state;
        }
        else if (index > (((ulong)state!.Roc << 16) | state.HighestSeq))
        {
            state.Roc = roc;
            state.HighestSeq = seq;
        }

        state!.Window.Accept(index);
        return true;
    }

    /// <summary>Encrypts and authenticates an RTCP compound packet in place (RFC 3711 §3.4; RFC 7714 §9, §17).</summary>
    public bool TryProtectRtcp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if (length < 8 || length > buffer.Length - RtcpOverhead || buffer[0] >> 6 != 2)
        {
            return false;
        }

        var ssrc = SrtpHeader.RtcpSenderSsrc(buffer);
        _sendRtcp.TryGetValue(ssrc, out var index);
        if (!_sendRtcp.ContainsKey(ssrc) && _sendRtcp.Count >= MaxStreams)
        {
            return false;
        }

        _sendRtcp[ssrc] = (index + 1) & 0x7FFF_FFFF;
        var trailer = SrtcpEncryptedFlag | index;
        if (_rtcp.IsGcm)
        {
            Span<byte> aad = stackalloc byte[8 + SrtcpIndexSize];
            buffer[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], trailer);
            Span<byte> nonce = stackalloc byte[NonceSize];
            RtcpNonce(nonce, _rtcp.Salt, ssrc, index);
            var n = GcmProtect(_rtcp, buffer, 8, length, nonce, aad);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[n..], trailer);
            protectedLength = n + SrtcpIndexSize;
            return true;
        }

        CmTransform(_rtcp, buffer[8..length], ssrc, index);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], trailer);
        var authenticated = length + SrtcpIndexSize;
        HMACSHA1.HashData(_rtcp.AuthKey!, buffer[..authenticated], _rtcp.MacScratch);
        _rtcp.MacScratch.AsSpan(0, CmTagSize).CopyTo(buffer[authenticated..]);
        protectedLength = authenticated + CmTagSize;
        return true;
    }

    /// <summary>Authenticates and decrypts an SRTCP packet in place; false on anything forged, replayed or malformed.</summary>
    public bool TryUnprotectRtcp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        var tagSize = _rtcp.IsGcm ? GcmTagSize : CmTagSize;
        if (length > buffer.Length || length < 8 + SrtcpIndexSize + tagSize || buffer[0] >> 6 != 2)
        {
            return false;
        }

        var ssrc = SrtpHeader.RtcpSenderSsrc(buffer);
        var known = _receiveRtcp.TryGetValue(ssrc, out var window);
        if (!known && _receiveRtcp.Count >= MaxStreams)
        {
            return false;
        }

        uint trailer;
        int bodyEnd;
        if (_rtcp.IsGcm)
        {
            // header ‖ ciphertext ‖ tag ‖ E‖index
            trailer = BinaryPrimitives.ReadUInt32BigEndian(buffer[(length - SrtcpIndexSize)..]);
            bodyEnd = length - SrtcpIndexSize;
        }
        else
        {
            // header ‖ ciphertext ‖ E‖index ‖ tag
            trailer = BinaryPrimitives.ReadUInt32BigEndian(buffer[(length - tagSize - SrtcpIndexSize)..]);
            bodyEnd = length - tagSize - SrtcpIndexSize;
        }

        var index = trailer & 0x7FFF_FFFF;
        var encrypted = (trailer & SrtcpEncryptedFlag) != 0;
        if (known && !window!.IsFresh(index))
        {
            return false;
        }

        if (_rtcp.IsGcm)
        {
            Span<byte> aad = stackalloc byte[8 + SrtcpIndexSize];
            buffer[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], trailer);
            Span<byte> nonce = stackalloc byte[NonceSize];
            RtcpNonce(nonce, _rtcp.Salt, ssrc, index);
            if (!encrypted || !GcmUnprotect(_rtcp, buffer, 8, bodyEnd, nonce, aad, out plainLength))
            {
                return false; // unencrypted SRTCP under GCM (tag only) is not used by WebRTC peers
            }
        }
        else
        {
            var authenticated = length - tagSize;
            Span<byte> mac = stackalloc byte[20];
            HMACSHA1.HashData(_rtcp.AuthKey!, buffer[..authenticated], mac);
            if (!CryptographicOperations.FixedTimeEquals(mac[..tagSize], buffer.Slice(authenticated, tagSize)))
            {
                return false;
            }

            if (encrypted)
            {
                CmTransform(_rtcp, buffer[8..bodyEnd], ssrc, index);
            }

            plainLength = bodyEnd;
        }

        if (!known)
        {
            window = new SrtpReplayWindow();
            _receiveRtcp[ssrc] = window;
        }

        window!.Accept(index);
        return true;
    }

    public void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    /// <summary>
    /// The sender's rollover counter for <paramref name="seq"/>: it advances when the sequence number
    /// wraps; a late packet from before the wrap keeps the previous value (RFC 3711 §3.3.1).
    /// </summary>
    private bool TryNextSendRoc(uint ssrc, ushort seq, out uint roc)
    {
        roc = 0;
        if (!_sendRtp.TryGetValue(ssrc, out var state))
        {
            if (_sendRtp.Count >= MaxStreams)
            {
                return false;
            }

            _sendRtp[ssrc] = (0, seq);
            return true;
        }

        var (current, last) = state;
        if (seq < last && last - seq > 0x8000)
        {
            roc = current + 1;
            _sendRtp[ssrc] = (roc, seq);
        }
        else if (seq > last && seq - last > 0x8000)
        {
            roc = current > 0 ? current - 1 : 0;
        }
        else
        {
            roc = current;
            if (seq > last)
            {
                _sendRtp[ssrc] = (current, seq);
            }
        }

        return true;
    }

    /// <summary>RFC 3711 §3.3.1: the ROC value v that puts <paramref name="seq"/> closest to the highest index seen.</summary>
    internal static uint EstimateRoc(uint roc, ushort highest, ushort seq)
    {
        if (highest < 0x8000)
        {
            return seq - highest > 0x8000 && roc > 0 ? roc - 1 : roc;
        }

        return highest - 0x8000 > seq ? roc + 1 : roc;
    }

    private int CmProtectRtp(Span<byte> buffer, int header, int length, uint ssrc, ulong index, uint roc)
    {
        CmTransform(_rtp, buffer[header..length], ssrc, index);

        // Tag = HMAC-SHA1(k_a, packet ‖ ROC)[..10]: the ROC goes where the tag will be, then the tag over it.
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], roc);
        HMACSHA1.HashData(_rtp.AuthKey!, buffer[..(length + 4)], _rtp.MacScratch);
        _rtp.MacScratch.AsSpan(0, CmTagSize).CopyTo(buffer[length..]);
        return length + CmTagSize;
    }

    private bool CmUnprotectRtp(Span<byte> buffer, int header, int length, uint ssrc, ulong index, uint roc, out int plainLength)
    {
        plainLength = 0;
        var authenticated = length - CmTagSize;
        Span<byte> tag = stackalloc byte[CmTagSize];
        buffer.Slice(authenticated, CmTagSize).CopyTo(tag);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[authenticated..], roc);
        Span<byte> mac = stackalloc byte[20];
        HMACSHA1.HashData(_rtp.AuthKey!, buffer[..(authenticated + 4)], mac);
        tag.CopyTo(buffer[authenticated..]);
        if (!CryptographicOperations.FixedTimeEquals(mac[..CmTagSize], tag))
        {
            return false;
        }

        CmTransform(_rtp, buffer[header..authenticated], ssrc, index);
        plainLength = authenticated;
        return true;
    }

    /// <summary>
    /// AES-CM (RFC 3711 §4.1.1): XORs <paramref name="data"/> with the keystream from
    /// <c>IV = (k_s·2¹⁶) ⊕ (SSRC·2⁶⁴) ⊕ (index·2¹⁶)</c>, the low 16 bits counting blocks.
    /// </summary>
    private static void CmTransform(Keys keys, Span<byte> data, uint ssrc, ulong index)
    {
        if (data.IsEmpty)
        {
            return;
        }

        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        keys.Salt.CopyTo(iv);                                   // k_s · 2^16: bytes 0..13
        Span<byte> mix = stackalloc byte[16];
        mix.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(mix[4..], ssrc);  // SSRC · 2^64: bytes 4..7
        BinaryPrimitives.WriteUInt64BigEndian(mix[8..], index << 16); // index · 2^16: bytes 8..13
        XorInto(iv, mix);

        var blocks = (data.Length + 15) / 16;
        var rented = blocks * 16 <= 2048 ? null : ArrayPool<byte>.Shared.Rent(2 * blocks * 16);
        Span<byte> counters = rented is null ? stackalloc byte[2 * 2048] : rented;
        var input = counters[..(blocks * 16)];
        var keystream = counters.Slice(blocks * 16, blocks * 16);
        for (var b = 0; b < blocks; b++)
        {
            var block = input.Slice(b * 16, 16);
            iv.CopyTo(block);
            BinaryPrimitives.WriteUInt16BigEndian(block[14..], (ushort)b);
        }

        keys.Aes.EncryptEcb(input, keystream, PaddingMode.None);
        Xor(data, keystream);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
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

    /// <summary>RFC 7714 §8.1: IV = salt ⊕ (0⁰⁰ ‖ SSRC ‖ ROC ‖ SEQ).</summary>
    private static void RtpNonce(Span<byte> nonce, byte[] salt, uint ssrc, uint roc, ushort seq)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[6..], roc);
        BinaryPrimitives.WriteUInt16BigEndian(nonce[10..], seq);
        XorInto(nonce, salt);
    }

    /// <summary>RFC 7714 §9.1: IV = salt ⊕ (0⁰⁰ ‖ SSRC ‖ 0⁰⁰ ‖ 0 ‖ SRTCP index).</summary>
    private static void RtcpNonce(Span<byte> nonce, byte[] salt, uint ssrc, uint index)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt32BigEndian(nonce[2..], ssrc);
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

    private static int GcmProtect(Keys keys, Span<byte> buffer, int start, int length, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad)
    {
        var plaintext = buffer[start..length];
        if (keys.Sealer is { } sealer)
        {
            sealer.Seal(nonce, plaintext, buffer.Slice(length, GcmTagSize), aad);
        }
        else
        {
            keys.Aead!.Encrypt(nonce, plaintext, plaintext, buffer.Slice(length, GcmTagSize), aad);
        }

        return length + GcmTagSize;
    }

    private static bool GcmUnprotect(Keys keys, Span<byte> buffer, int start, int end, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, out int plainLength)
    {
        plainLength = 0;
        var cipherEnd = end - GcmTagSize;
        if (cipherEnd < start)
        {
            return false;
        }

        var ciphertext = buffer[start..cipherEnd];
        try
        {
            keys.Aead!.Decrypt(nonce, ciphertext, buffer.Slice(cipherEnd, GcmTagSize), ciphertext, aad);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        plainLength = cipherEnd;
        return true;
    }

    private sealed class ReceiveState
    {
        public uint Roc { get; set; }
        public ushort HighestSeq { get; set; }
        public SrtpReplayWindow Window { get; } = new();
    }

    /// <summary>One set of session keys and the cipher objects made from them once.</summary>
    private sealed class Keys : IDisposable
    {
        public Keys(bool gcm, byte[] key, byte[]? authKey, byte[] salt)
        {
            Aead = gcm ? new AesGcm(key, GcmTagSize) : null;
            Sealer = gcm ? OpenSslGcmSealer.TryCreate(key, GcmTagSize) : null;
            Aes = System.Security.Cryptography.Aes.Create();
            Aes.Key = key;
            AuthKey = authKey;
            Salt = salt;
        }

        public AesGcm? Aead { get; }

        /// <summary>The fast path for sealing where OpenSSL 3 is at hand (Linux); else <see cref="Aead"/> seals.</summary>
        public OpenSslGcmSealer? Sealer { get; }

        public bool IsGcm => Aead is not null;

        public System.Security.Cryptography.Aes Aes { get; }

        public byte[]? AuthKey { get; }

        public byte[] Salt { get; }

        public byte[] MacScratch { get; } = new byte[20];

        public void Dispose()
        {
            Aead?.Dispose();
            Sealer?.Dispose();
            Aes.Dispose();
        }
    }
}
