using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Srtp;

namespace Lilium.Fuzz.Targets;

/// <summary>
/// SRTP/SRTCP unprotect (RFC 3711, RFC 7714) with a fixed master key. The first input byte picks
/// the case, the rest is the packet:
/// bit 0: AES_CM_128_HMAC_SHA1_80 or AEAD_AES_128_GCM; bit 1: RTP or RTCP;
/// bit 2: bytes as they arrive (an attacker without the key: header parse, index and replay logic, tag check), or
/// protect them with the same key first (an authenticated peer: decryption, ROC estimate, replay window).
/// The sessions persist, as a receiving session does.
/// </summary>
internal sealed class SrtpTarget : IFuzzTarget
{
    private const int MaxPacket = 2048;
    private const int Slack = 64; // room for the tag and the SRTCP index when protecting

    private readonly SrtpSession[] _senders;
    private readonly SrtpSession[] _receivers;
    private readonly byte[] _buffer = new byte[MaxPacket + Slack];

    public SrtpTarget()
    {
        SrtpProtectionProfile[] profiles = [SrtpProtectionProfile.Aes128CmHmacSha1_80, SrtpProtectionProfile.AeadAes128Gcm];
        _senders = profiles.Select(Session).ToArray();
        _receivers = profiles.Select(Session).ToArray();
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var mode = input[0];
        var packet = input[1..];
        if (packet.Length > MaxPacket)
        {
            packet = packet[..MaxPacket];
        }

        var profile = mode & 1;
        var rtcp = (mode & 2) != 0;
        var protectFirst = (mode & 4) != 0;
        packet.CopyTo(_buffer);
        var length = packet.Length;
        if (protectFirst)
        {
            var sender = _senders[profile];
            if (!(rtcp ? sender.TryProtectRtcp(_buffer, length, out length) : sender.TryProtectRtp(_buffer, length, out length)))
            {
                return;
            }
        }

        var receiver = _receivers[profile];
        _ = rtcp ? receiver.TryUnprotectRtcp(_buffer, length, out _) : receiver.TryUnprotectRtp(_buffer, length, out _);
    }

    internal static SrtpSession Session(SrtpProtectionProfile profile)
    {
        var key = Enumerable.Range(1, profile.KeyLength()).Select(i => (byte)i).ToArray();
        var salt = Enumerable.Range(0x40, profile.SaltLength()).Select(i => (byte)i).ToArray();
        return new SrtpSession(profile, key, salt);
    }
}
