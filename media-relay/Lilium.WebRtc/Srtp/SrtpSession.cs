using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Srtp;

/// <summary>
/// SRTP and SRTCP for one direction of one DTLS-SRTP association (RFC 3711; AES-GCM per RFC 7714): session keys
/// derived once from the master key into the profile's cipher (<see cref="SrtpCipherAesCmHmacSha1"/> or
/// <see cref="SrtpCipherAeadAesGcm"/>, chosen once), per-SSRC rollover counters and SRTCP indices, and 128-packet
/// replay windows on receipt, which are the session's whatever the cipher. Packets are transformed in place in the
/// caller's buffer, which must have <see cref="RtpOverhead"/> / <see cref="RtcpOverhead"/> bytes of room after the
/// packet when protecting; the steady state allocates nothing.
/// <para>Not thread-safe: a direction's packets are handled one at a time.</para>
/// </summary>
public sealed class SrtpSession : IDisposable
{
    private const int RtcpHeaderSize = 8;
    private const int MaxStreams = 256;

    private readonly ISrtpCipher _cipher;
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

        Profile = profile;
        var key = masterKey.ToArray();
        var salt = masterSalt.ToArray();
        byte[] Derive(byte label, int length) => SrtpKeyDerivation.Derive(key, salt, label, length);
        var keyLength = key.Length;
        var saltLength = salt.Length;
        _cipher = profile switch
        {
            SrtpProtectionProfile.Aes128CmHmacSha1_80 => new SrtpCipherAesCmHmacSha1(
                Derive(SrtpKeyDerivation.RtpEncryption, keyLength), Derive(SrtpKeyDerivation.RtpAuthentication, 20), Derive(SrtpKeyDerivation.RtpSalt, saltLength),
                Derive(SrtpKeyDerivation.RtcpEncryption, keyLength), Derive(SrtpKeyDerivation.RtcpAuthentication, 20), Derive(SrtpKeyDerivation.RtcpSalt, saltLength)),
            SrtpProtectionProfile.AeadAes128Gcm => new SrtpCipherAeadAesGcm(
                Derive(SrtpKeyDerivation.RtpEncryption, keyLength), Derive(SrtpKeyDerivation.RtpSalt, saltLength),
                Derive(SrtpKeyDerivation.RtcpEncryption, keyLength), Derive(SrtpKeyDerivation.RtcpSalt, saltLength)),
            _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown SRTP profile"),
        };
    }

    /// <summary>A session over already-derived session keys, the same for SRTP and SRTCP (RFC 7714's vectors give those, not master keys).</summary>
    internal SrtpSession(SrtpProtectionProfile profile, byte[] sessionKey, byte[]? authKey, byte[] sessionSalt)
    {
        Profile = profile;
        _cipher = profile switch
        {
            SrtpProtectionProfile.Aes128CmHmacSha1_80 => new SrtpCipherAesCmHmacSha1(
                sessionKey, authKey ?? throw new ArgumentNullException(nameof(authKey)), sessionSalt, sessionKey, authKey, sessionSalt),
            SrtpProtectionProfile.AeadAes128Gcm => new SrtpCipherAeadAesGcm(sessionKey, sessionSalt, sessionKey, sessionSalt),
            _ => throw new ArgumentOutOfRangeException(nameof(profile), profile, "unknown SRTP profile"),
        };
    }

    /// <summary>Bytes <see cref="TryProtectRtp"/> appends: the authentication tag.</summary>
    public int RtpOverhead => _cipher.RtpOverhead;

    /// <summary>Bytes <see cref="TryProtectRtcp"/> appends: the E flag and SRTCP index, and the tag.</summary>
    public int RtcpOverhead => _cipher.RtcpOverhead;

    public SrtpProtectionProfile Profile { get; }

    /// <summary>The session that protects what we send, from the DTLS exporter's keys (RFC 5764 §4.2).</summary>
    public static SrtpSession ForSending(SrtpKeyingMaterial keys) => new(keys.Profile, keys.LocalKey.Span, keys.LocalSalt.Span);

    /// <summary>The session that unprotects what the peer sends.</summary>
    public static SrtpSession ForReceiving(SrtpKeyingMaterial keys) => new(keys.Profile, keys.RemoteKey.Span, keys.RemoteSalt.Span);

    /// <summary>Encrypts and authenticates the RTP packet in <c>buffer[..length]</c>; false if it is not RTP or the buffer lacks room.</summary>
    public bool TryProtectRtp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if (length > buffer.Length - _cipher.RtpOverhead || !SrtpHeader.TryGetRtpHeaderLength(buffer[..length], out var header))
        {
            return false;
        }

        var ssrc = SrtpHeader.RtpSsrc(buffer);
        var seq = SrtpHeader.RtpSequence(buffer);
        if (!TryNextSendRoc(ssrc, seq, out var roc))
        {
            return false;
        }

        protectedLength = _cipher.ProtectRtp(buffer, header, length, ssrc, roc, seq);
        return true;
    }

    /// <summary>Authenticates and decrypts an SRTP packet in place; false on anything forged, replayed or malformed.</summary>
    public bool TryUnprotectRtp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        if (length > buffer.Length || !SrtpHeader.TryGetRtpHeaderLength(buffer[..length], out var header) || length < header + _cipher.RtpOverhead)
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

        if (!_cipher.TryUnprotectRtp(buffer, header, length, ssrc, roc, seq, out plainLength))
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
        if (length < RtcpHeaderSize || length > buffer.Length - _cipher.RtcpOverhead || buffer[0] >> 6 != 2)
        {
            return false;
        }

        var ssrc = SrtpHeader.RtcpSenderSsrc(buffer);
        if (!_sendRtcp.TryGetValue(ssrc, out var index) && _sendRtcp.Count >= MaxStreams)
        {
            return false;
        }

        _sendRtcp[ssrc] = (index + 1) & 0x7FFF_FFFF;
        protectedLength = _cipher.ProtectRtcp(buffer, length, ssrc, index);
        return true;
    }

    /// <summary>Authenticates and decrypts an SRTCP packet in place; false on anything forged, replayed or malformed.</summary>
    public bool TryUnprotectRtcp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        if (length > buffer.Length || length < RtcpHeaderSize + _cipher.RtcpOverhead || buffer[0] >> 6 != 2)
        {
            return false;
        }

        var ssrc = SrtpHeader.RtcpSenderSsrc(buffer);
        var known = _receiveRtcp.TryGetValue(ssrc, out var window);
        if (!known && _receiveRtcp.Count >= MaxStreams)
        {
            return false;
        }

        var trailer = _cipher.ReadRtcpTrailer(buffer[..length]);
        var index = trailer & 0x7FFF_FFFF;
        if (known && !window!.IsFresh(index))
        {
            return false;
        }

        if (!_cipher.TryUnprotectRtcp(buffer, length, ssrc, trailer, out plainLength))
        {
            return false;
        }

        if (!known)
        {
            window = new SrtpReplayWindow();
            _receiveRtcp[ssrc] = window;
        }

        window!.Accept(index);
        return true;
    }

    public void Dispose() => _cipher.Dispose();

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

    private sealed class ReceiveState
    {
        public uint Roc { get; set; }
        public ushort HighestSeq { get; set; }
        public SrtpReplayWindow Window { get; } = new();
    }
}
