using System.Net;

namespace Lilium.Relay.Http;

/// <summary>
/// The address a WHIP/WHEP request came from, for the per-address cap. Behind a proxy this relay trusts
/// (<see cref="RelayOptions.TrustedProxies"/>: the load balancer's subnets on AWS), the right-most
/// <c>X-Forwarded-For</c> entry that is not itself a trusted proxy; otherwise the connection's own address. A
/// client cannot pick its address by sending the header: entries are read only when the connection comes from a
/// trusted proxy, and from the right, where that proxy appended the address it saw.
/// </summary>
internal static class ClientAddress
{
    public static IPAddress Of(HttpContext http, IReadOnlyList<IPNetwork> trustedProxies)
    {
        var remote = Normalize(http.Connection.RemoteIpAddress ?? IPAddress.None);
        if (!IsTrusted(remote, trustedProxies))
        {
            return remote;
        }

        var entries = http.Request.Headers["X-Forwarded-For"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = entries.Length - 1; i >= 0; i--)
        {
            if (!IPAddress.TryParse(entries[i], out var hop))
            {
                return remote; // a malformed hop: count the request against the proxy itself
            }

            hop = Normalize(hop);
            if (!IsTrusted(hop, trustedProxies))
            {
                return hop;
            }
        }

        return remote;
    }

    private static bool IsTrusted(IPAddress address, IReadOnlyList<IPNetwork> trusted)
    {
        foreach (var network in trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
