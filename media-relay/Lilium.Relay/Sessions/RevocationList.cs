using System.Collections.Concurrent;
using Lilium.Auth;

namespace Lilium.Relay.Sessions;

/// <summary>
/// What the control plane revoked (from its feed, <see cref="RevocationPoller"/>), so that a grant issued before the
/// revocation is refused until it expires: an ended session refuses every grant; a removed viewer or a revoked user
/// refuses grants issued at or before the revocation (a later admission issues a later grant). Entries are kept for
/// longer than any grant lives.
/// </summary>
internal sealed class RevocationList(TimeProvider time)
{
    /// <summary>Longer than a relay grant's lifetime (5 min), so every revoked grant has expired before its entry goes.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<Guid, long> _endedSessions = new();
    private readonly ConcurrentDictionary<(Guid Session, Guid User), long> _removed = new();
    private readonly ConcurrentDictionary<Guid, long> _revokedUsers = new();

    public void SessionEnded(Guid session, DateTimeOffset at) => _endedSessions[session] = at.ToUnixTimeSeconds();

    // Removals and user revocations are kept in milliseconds and compared with the grant's iat_ms: a viewer who leaves
    // and is admitted again within one second holds a grant issued after the removal, which must pass.
    public void Removed(Guid session, Guid user, DateTimeOffset at) => _removed.AddOrUpdate((session, user), at.ToUnixTimeMilliseconds(), (_, old) => Math.Max(old, at.ToUnixTimeMilliseconds()));

    public void UserRevoked(Guid user, DateTimeOffset at) => _revokedUsers.AddOrUpdate(user, at.ToUnixTimeMilliseconds(), (_, old) => Math.Max(old, at.ToUnixTimeMilliseconds()));

    /// <summary>The grant's issue time in ms; a grant without iat_ms counts from the start of its second (refused when in doubt).</summary>
    public static long IssuedMs(RelayGrantClaims grant) => grant.IssuedAtMs > 0 ? grant.IssuedAtMs : grant.IssuedAt * 1000;

    /// <summary>
    /// Whether a removal or a user revocation at <paramref name="revokedMs"/> revokes a grant issued at
    /// <paramref name="issuedMs"/>: those issued at or before it, not the later grant of a later admission.
    /// </summary>
    public static bool Revokes(long revokedMs, long issuedMs) => issuedMs <= revokedMs;

    /// <summary>Why the grant may no longer be used, or null when it may.</summary>
    public string? Refusal(RelayGrantClaims grant)
    {
        if (_endedSessions.ContainsKey(grant.SessionId))
        {
            return "The session has ended.";
        }

        if (_revokedUsers.TryGetValue(grant.Subject, out var revoked) && Revokes(revoked, IssuedMs(grant)))
        {
            return "The grant was revoked (the login ended); ask for a new one.";
        }

        return grant.Role == RelayRole.Viewer && _removed.TryGetValue((grant.SessionId, grant.Subject), out var removed) && Revokes(removed, IssuedMs(grant))
            ? "The grant was revoked (you left or were removed from the session)."
            : null;
    }

    /// <summary>Forgets entries older than <see cref="Retention"/>.</summary>
    public void Prune()
    {
        var cutoff = (time.GetUtcNow() - Retention).ToUnixTimeSeconds();
        foreach (var (key, at) in _endedSessions)
        {
            if (at < cutoff)
            {
                _endedSessions.TryRemove(key, out _);
            }
        }

        var cutoffMs = cutoff * 1000;
        foreach (var (key, at) in _removed)
        {
            if (at < cutoffMs)
            {
                _removed.TryRemove(key, out _);
            }
        }

        foreach (var (key, at) in _revokedUsers)
        {
            if (at < cutoffMs)
            {
                _revokedUsers.TryRemove(key, out _);
            }
        }
    }
}
