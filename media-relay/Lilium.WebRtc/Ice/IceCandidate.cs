using System.Globalization;
using System.Net;

namespace Lilium.WebRtc.Ice;

/// <summary>The host candidates an ICE-lite server advertises (RFC 8445 §5.1.2, RFC 8839 §5.1, RFC 6544 §4).</summary>
public static class IceCandidate
{
    /// <summary>
    /// RFC 8445 §5.1.2.1: priority = 2^24·type preference + 2^8·local preference + (256 − component);
    /// host type preference 126, local preference 65535 (we have one address), component 1 (rtcp-mux).
    /// </summary>
    public const uint HostPriority = (126u << 24) | (65535u << 8) | (256u - 1);

    /// <summary>
    /// RFC 6544 §4.2 for a passive TCP host candidate: local preference = 2^13·direction-pref + other-pref, with
    /// direction-pref 4 (passive, host) and other-pref 8191, so 40959 — below the UDP candidate's 65535: a pair
    /// over UDP always outranks the same pair over TCP, and TCP is what is left when UDP fails.
    /// </summary>
    public const uint HostTcpPassivePriority = (126u << 24) | (((4u << 13) | 8191u) << 8) | (256u - 1);

    /// <summary>The SDP attribute value, e.g. <c>candidate:1 1 udp 2130706431 203.0.113.7 7882 typ host</c>.</summary>
    public static string HostUdp(IPEndPoint endpoint, string foundation = "1") =>
        string.Create(CultureInfo.InvariantCulture, $"candidate:{foundation} 1 udp {HostPriority} {endpoint.Address} {endpoint.Port} typ host");

    /// <summary>
    /// The passive TCP candidate (RFC 6544 §4.5), e.g. <c>candidate:2 1 tcp 2124414975 203.0.113.7 443 typ host tcptype passive</c>.
    /// An ICE-lite agent offers passive TCP candidates only (RFC 6544 §7.2): the client connects.
    /// </summary>
    public static string HostTcpPassive(IPEndPoint endpoint, string foundation = "2") =>
        string.Create(CultureInfo.InvariantCulture, $"candidate:{foundation} 1 tcp {HostTcpPassivePriority} {endpoint.Address} {endpoint.Port} typ host tcptype passive");
}
