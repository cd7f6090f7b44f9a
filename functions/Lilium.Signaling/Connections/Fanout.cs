namespace Lilium.Signaling.Connections;

/// <summary>
/// Delivers one message to every connection of a user: lookups through the instance's <see cref="LookupCache"/>,
/// PostToConnection calls with bounded concurrency, and a <c>410 Gone</c> (sender returns false) deletes the stale entry.
/// </summary>
public sealed class Fanout(ConnectionStore connections, LookupCache cache, IConnectionSender sender, SignalingOptions options)
{
    /// <returns>How many connections received it.</returns>
    public async Task<int> SendToUserAsync(Guid user, byte[] message, CancellationToken cancellationToken)
    {
        var targets = await cache.ConnectionsAsync(user, () => connections.ListAsync(user, cancellationToken));
        if (targets.Count == 1)
        {
            return await SendOneAsync(user, targets[0], message, cancellationToken) ? 1 : 0;
        }

        var delivered = 0;
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = options.FanOutConcurrency, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            if (await SendOneAsync(user, id, message, ct))
            {
                Interlocked.Increment(ref delivered);
            }
        });
        return delivered;
    }

    /// <summary>Sends to one connection; false (and the entry deleted) when it is gone.</summary>
    public async Task<bool> SendToConnectionAsync(Guid owner, string connectionId, byte[] message, CancellationToken cancellationToken) =>
        await SendOneAsync(owner, connectionId, message, cancellationToken);

    public async Task<bool> IsOnlineAsync(Guid user, CancellationToken cancellationToken) =>
        (await cache.ConnectionsAsync(user, () => connections.ListAsync(user, cancellationToken))).Count > 0;

    private async Task<bool> SendOneAsync(Guid user, string connectionId, byte[] message, CancellationToken cancellationToken)
    {
        if (await sender.SendAsync(connectionId, message, cancellationToken))
        {
            return true;
        }

        cache.Forget(user, connectionId);
        await connections.RemoveAsync(user, connectionId, cancellationToken);
        return false;
    }
}
