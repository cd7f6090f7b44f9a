using System.Collections.Concurrent;
using System.Collections.Immutable;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.Protocol;

namespace Lilium.Relay.Sessions;

/// <summary>
/// One screen-share session: at most one publisher and any number of subscribers. Membership is
/// copy-on-write so the media loop reads it without locks.
/// </summary>
internal sealed class RelaySession(Guid id)
{
    private readonly Lock _gate = new();
    private ImmutableArray<MediaPeer> _subscribers = [];
    private MediaPeer? _publisher;

    public Guid Id { get; } = id;

    /// <summary>The keys all viewers hold down (chords are judged across viewers: the host has one keyboard).</summary>
    public Lilium.Input.SessionKeys Keys { get; } = new();

    public MediaPeer? Publisher => Volatile.Read(ref _publisher);

    public ImmutableArray<MediaPeer> Subscribers => _subscribers; // one reference: reads are atomic

    public bool IsEmpty => Publisher is null && Subscribers.IsEmpty;

    private readonly ConcurrentDictionary<Guid, InputPermissions> _permissions = new();

    /// <summary>The viewer's input permissions: the host's latest live change, else what the grant says.</summary>
    public InputPermissions PermissionsFor(Guid user, InputPermissions granted) => _permissions.GetValueOrDefault(user, granted);

    /// <summary>Records the host's live change for a viewer (also for peers that connect later in this session).</summary>
    public void SetPermissions(Guid user, InputPermissions permissions) => _permissions[user] = permissions;

    public bool TrySetPublisher(MediaPeer publisher)
    {
        lock (_gate)
        {
            if (_publisher is not null && !_publisher.IsClosed)
            {
                return false;
            }

            Volatile.Write(ref _publisher, publisher);
            return true;
        }
    }

    public void AddSubscriber(MediaPeer subscriber)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Add(subscriber);
        }
    }

    public void Remove(MediaPeer peer)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_publisher, peer))
            {
                Volatile.Write(ref _publisher, null);
            }
            else
            {
                _subscribers = _subscribers.Remove(peer);
            }
        }
    }
}
