namespace Lilium.WebRtc.Srtp;

/// <summary>
/// The transform of one SRTP protection profile (like pion/srtp's <c>srtpCipher</c>): it encrypts and authenticates
/// RTP and RTCP packets in place, given the packet index the <see cref="SrtpSession"/> computed. It keeps no per-SSRC
/// state: rollover counters, SRTCP indices and replay windows are the session's, so each suite is only its crypto.
/// <para>Not thread-safe: one session's direction uses it one packet at a time.</para>
/// </summary>
internal interface ISrtpCipher : IDisposable
{
    /// <summary>Bytes appended to an RTP packet (the authentication tag).</summary>
    int RtpOverhead { get; }

    /// <summary>Bytes appended to an RTCP packet (E flag and SRTCP index, and the tag).</summary>
    int RtcpOverhead { get; }

    /// <summary>
    /// Protects <c>buffer[..length]</c>, whose RTP header is <paramref name="header"/> bytes long, in place, and returns
    /// the protected length; <paramref name="buffer"/> has <see cref="RtpOverhead"/> bytes of room after the packet.
    /// </summary>
    int ProtectRtp(Span<byte> buffer, int header, int length, uint ssrc, uint roc, ushort seq);

    /// <summary>Authenticates then decrypts <c>buffer[..length]</c> in place; false (buffer unchanged in meaning) on a bad tag.</summary>
    bool TryUnprotectRtp(Span<byte> buffer, int header, int length, uint ssrc, uint roc, ushort seq, out int plainLength);

    /// <summary>Protects the RTCP compound <c>buffer[..length]</c> under SRTCP <paramref name="index"/> (E flag set) and returns the protected length.</summary>
    int ProtectRtcp(Span<byte> buffer, int length, uint ssrc, uint index);

    /// <summary>The E flag and SRTCP index of a protected packet of at least <see cref="RtcpOverhead"/> + 8 bytes (read before authentication, for the replay check).</summary>
    uint ReadRtcpTrailer(ReadOnlySpan<byte> packet);

    /// <summary>Authenticates and (when the E flag is set) decrypts an SRTCP packet in place; false on a bad tag.</summary>
    bool TryUnprotectRtcp(Span<byte> buffer, int length, uint ssrc, uint trailer, out int plainLength);
}
