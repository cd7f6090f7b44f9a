using System.Runtime.CompilerServices;

namespace Lilium.WebRtc;

/// <summary>What a datagram on the shared media port is, by the RFC 7983 first-byte ranges.</summary>
public enum PacketKind : byte
{
    /// <summary>Empty, or a first byte no range claims (to be dropped).</summary>
    Unknown,
    /// <summary>0–3: STUN (ICE connectivity checks).</summary>
    Stun,
    /// <summary>16–19: ZRTP (not spoken here).</summary>
    Zrtp,
    /// <summary>20–63: DTLS records.</summary>
    Dtls,
    /// <summary>64–79: TURN channel data (not spoken here).</summary>
    Turn,
    /// <summary>128–191 with a second byte outside 192–223: RTP.</summary>
    Rtp,
    /// <summary>128–191 with a second byte (marker + payload type) of 192–223, i.e. RTCP types 192–223 (RFC 5761 §4).</summary>
    Rtcp,
}

/// <summary>
/// The one demultiplexer for everything that shares the media port (RFC 7983 §7, RFC 5761 §4): STUN, ZRTP, DTLS,
/// TURN channels, RTP and RTCP. The relay, the SDK and the test peers all classify datagrams here.
/// </summary>
public static class PacketDemux
{
    /// <summary>Classifies <paramref name="datagram"/>; never throws. RTP/RTCP needs at least two bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PacketKind Classify(ReadOnlySpan<byte> datagram)
    {
        if (datagram.IsEmpty)
        {
            return PacketKind.Unknown;
        }

        return datagram[0] switch
        {
            <= 3 => PacketKind.Stun,
            >= 16 and <= 19 => PacketKind.Zrtp,
            >= 20 and <= 63 => PacketKind.Dtls,
            >= 64 and <= 79 => PacketKind.Turn,
            >= 128 and <= 191 when datagram.Length >= 2 => datagram[1] is >= 192 and <= 223 ? PacketKind.Rtcp : PacketKind.Rtp,
            _ => PacketKind.Unknown,
        };
    }
}
