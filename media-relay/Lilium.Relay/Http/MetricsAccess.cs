using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Lilium.Relay.Http;

/// <summary>Who may read <c>/metrics</c>: the holder of <c>RELAY_METRICS_TOKEN</c>, or, without one, loopback only.</summary>
internal static class MetricsAccess
{
    public static bool Allows(HttpContext context, string? token)
    {
        if (token is null)
        {
            return context.Connection.RemoteIpAddress is { } remote && IPAddress.IsLoopback(remote);
        }

        var header = context.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim())),
            SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }
}
