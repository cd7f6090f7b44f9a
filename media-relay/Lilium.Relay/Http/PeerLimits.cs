using System.Net;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay.Sessions;

namespace Lilium.Relay.Http;

/// <summary>
/// Bounded memory per relay: the caps a new WHIP/WHEP peer must pass, each answered with a problem that says what to
/// do. Per relay (503, another relay or later), per user in a session and per user on the relay (429: a grant names
/// one user and one session, so the per-session cap also bounds each grant), and per source address (429).
/// </summary>
internal static class PeerLimits
{
    private static readonly Dictionary<string, string> RetrySoon = new() { ["Retry-After"] = "5" };

    public static IResult? Refusal(SessionRegistry registry, RelayOptions limits, RelayGrantClaims grant, Guid sessionId, IPAddress source)
    {
        if (registry.PeerCount >= limits.MaxPeers)
        {
            return Problems.Of(ErrorCode.RelayFull, $"This relay serves its maximum of {limits.MaxPeers} peers; retry shortly.", RetrySoon);
        }

        int inSession = 0, onRelay = 0, fromAddress = 0;
        foreach (var peer in registry.Peers)
        {
            if (peer.IsClosed)
            {
                continue;
            }

            if (peer.User == grant.Subject)
            {
                onRelay++;
                if (peer.Session.Id == sessionId)
                {
                    inSession++;
                }
            }

            if (source.Equals(peer.SourceAddress))
            {
                fromAddress++;
            }
        }

        if (grant.Role == RelayRole.Viewer && inSession >= limits.MaxPeersPerUser)
        {
            return Problems.Of(ErrorCode.TooManyPeers, $"You already hold {limits.MaxPeersPerUser} peers in this session; DELETE one first.", RetrySoon);
        }

        if (onRelay >= limits.MaxPeersPerUserOnRelay)
        {
            return Problems.Of(ErrorCode.TooManyPeers, $"You already hold {limits.MaxPeersPerUserOnRelay} peers on this relay; DELETE one first.", RetrySoon);
        }

        if (fromAddress >= limits.MaxPeersPerAddress)
        {
            return Problems.Of(ErrorCode.TooManyPeers, $"Your network address already holds {limits.MaxPeersPerAddress} peers on this relay; close some first.", RetrySoon);
        }

        return null;
    }
}
