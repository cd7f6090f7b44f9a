using System.Globalization;
using System.Net;

namespace Lilium.WebRtc.Ice;

/// <summary>A host candidate as an ICE-lite server advertises it (RFC 8445 §5.1.2, RFC 8839 §5.1).</summary>
public static class IceCandidate
{
    /// <summary>
    /// RFC 8445 §5.1.2.1: priority = 2^24·type preference + 2^8·local preference + (256 − component);
    /// host type preference 126, local preference 65535 (we have one address), component 1 (rtcp-mux).
    /// </summary>
    public const uint HostPriority = (126u << 24) | (65535u << 8) | (256u - 1);

    /// <summary>The SDP attribute value, e.g. <c>candidate:1 1 udp 2130706431 203.0.113.7 7882 typ host</c>.</summary>
    public static string HostUdp(IPEndPoint endpoint, string foundation = "1") =>
        string.Create(CultureInfo.InvariantCulture, $"candidate:{foundation} 1 udp {HostPriority} {endpoint.Address} {endpoint.Port} typ host");
}
