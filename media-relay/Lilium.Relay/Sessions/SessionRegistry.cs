using System.Collections.Concurrent;
using System.Net;
using Lilium.Relay.Media;

namespace Lilium.Relay.Sessions;

/// <summary>
/// All sessions and peers of this relay, with the two lookups the UDP path needs: by our ICE
/// ufrag (first STUN check from a new address) and by remote 5-tuple (everything after). An ICE-TCP
/// connection knows its peer itself, so TCP paths are not in the 5-tuple lookup.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<Guid, RelaySession> _sessions = new();
    private readonly ConcurrentDictionary<Guid, MediaPeer> _peers = new();
    private readonly ConcurrentDictionary<string, MediaPeer> _byUfrag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<IPEndPoint, MediaPeer> _byEndpoint = new();
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public int SessionCount => _sessions.Count;

    public int PeerCount => _peers.Count;

    public IEnumerable<MediaPeer> Peers => _peers.Values;

    public void StartDraining() => _draining = true;

    public RelaySession GetOrAddSession(Guid id) => _sessions.GetOrAdd(id, static id => new RelaySession(id));

    public RelaySession? FindSession(Guid id) => _sessions.GetValueOrDefault(id);

    public void Add(MediaPeer peer)
    {
        _peers[peer.Id] = peer;
        _byUfrag[peer.LocalUfrag] = peer;
    }

    public MediaPeer? FindPeer(Guid id) => _peers.GetValueOrDefault(id);

    public MediaPeer? FindByUfrag(string ufrag) => _byUfrag.GetValueOrDefault(ufrag);

    public MediaPeer? FindByEndpoint(IPEndPoint endpoint) => _byEndpoint.GetValueOrDefault(endpoint);

    /// <summary>Binds a peer's nominated address; a new address for the same peer replaces the old binding.</summary>
    public void BindEndpoint(MediaPeer peer, IPEndPoint endpoint)
    {
        var previous = peer.Endpoint;
        if (previous is not null && !previous.Equals(endpoint))
        {
            _byEndpoint.TryRemove(new KeyValuePair<IPEndPoint, MediaPeer>(previous, peer));
        }

        _byEndpoint[endpoint] = peer;
        peer.Path = new PeerPath(endpoint, null);
    }

    /// <summary>Makes an ICE-TCP connection the peer's path; its UDP binding, if any, is forgotten (datagrams from it are dropped).</summary>
    public void BindTcp(MediaPeer peer, IceTcpConnection connection)
    {
        if (peer.Path is { Tcp: null } previous)
        {
            _byEndpoint.TryRemove(new KeyValuePair<IPEndPoint, MediaPeer>(previous.Remote, peer));
        }

        peer.Path = new PeerPath(connection.Remote, connection);
    }

    /// <summary>Forgets a peer everywhere, and its session once empty.</summary>
    public void Remove(MediaPeer peer)
    {
        _peers.TryRemove(peer.Id, out _);
        _byUfrag.TryRemove(new KeyValuePair<string, MediaPeer>(peer.LocalUfrag, peer));
        if (peer.Endpoint is { } endpoint)
        {
            _byEndpoint.TryRemove(new KeyValuePair<IPEndPoint, MediaPeer>(endpoint, peer));
        }

        peer.Session.Remove(peer);
        RemoveIfEmpty(peer.Session);
    }

    /// <summary>Drops a session that has no peers (after a failed WHIP, or when its last peer left).</summary>
    public void RemoveIfEmpty(RelaySession session)
    {
        if (session.IsEmpty)
        {
            _sessions.TryRemove(new KeyValuePair<Guid, RelaySession>(session.Id, session));
        }
    }
}
