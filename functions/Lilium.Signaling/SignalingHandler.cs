using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Lilium.Auth;
using Lilium.Data.Friends;
using Lilium.Lambda.Events;
using Lilium.Signaling.Connections;
using Lilium.Signaling.Protocol;

namespace Lilium.Signaling;

/// <summary>
/// The API Gateway WebSocket handler: <c>$connect</c> authenticates, <c>$disconnect</c> forgets, every other
/// route is dispatched on the body's <c>action</c>. Usable in process (local gateway) or behind the Lambda runtime loop.
/// Errors in a message never fail the invocation: they become an <c>error</c> message to the sender.
/// </summary>
public sealed class SignalingHandler(
    TokenCodec accessTokens,
    ConnectionStore connections,
    FriendshipRepository friendships,
    IConnectionSender sender,
    SignalingOptions options,
    TimeProvider time)
{
    private static readonly WebSocketResponse Unauthorized = new() { StatusCode = 401 };
    private static readonly WebSocketResponse Forbidden = new() { StatusCode = 403 };

    // Per-instance rate limit state. On Lambda each concurrent instance holds its own buckets, so a client
    // spread over N instances gets up to N× the rate; see docs/signaling.md.
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly LookupCache _cache = new(options.LookupCacheTtl, time);

    public async Task<WebSocketResponse> HandleAsync(WebSocketEvent e, CancellationToken cancellationToken)
    {
        var context = e.RequestContext;
        if (context?.ConnectionId is not { Length: > 0 } connectionId)
        {
            return new WebSocketResponse { StatusCode = 400 };
        }

        return context.EventType switch
        {
            WebSocketEventType.Connect => await ConnectAsync(e, connectionId, cancellationToken),
            WebSocketEventType.Disconnect => await DisconnectAsync(connectionId, cancellationToken),
            _ => await MessageAsync(e, connectionId, cancellationToken),
        };
    }

    private async Task<WebSocketResponse> ConnectAsync(WebSocketEvent e, string connectionId, CancellationToken cancellationToken)
    {
        var (token, subprotocol) = FindToken(e);
        if (accessTokens.TryRead(token, out AccessClaims? claims) != TokenError.None || claims is null)
        {
            return Unauthorized;
        }

        var before = await connections.TryAddAsync(new ConnectionRecord(connectionId, claims.Subject, claims.Nickname), options.MaxConnectionsPerUser, cancellationToken);
        if (before is null)
        {
            return Forbidden;
        }

        _cache.Forget(claims.Subject);

        if (before == 0)
        {
            await TellFriendsAsync(claims.Subject, online: true, cancellationToken);
        }

        return subprotocol is null
            ? WebSocketResponse.Ok
            : new WebSocketResponse { StatusCode = 200, Headers = new Dictionary<string, string> { ["Sec-WebSocket-Protocol"] = subprotocol } };
    }

    /// <summary>The token from <c>?token=</c>, else from a <c>token.{value}</c> entry of <c>Sec-WebSocket-Protocol</c>.</summary>
    private static (string? Token, string? Subprotocol) FindToken(WebSocketEvent e)
    {
        if (e.QueryStringParameters?.TryGetValue("token", out var q) == true && q.Length > 0)
        {
            return (q, null);
        }

        var header = e.Headers?.FirstOrDefault(h => h.Key.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase)).Value;
        if (header is null)
        {
            return (null, null);
        }

        string? token = null;
        var offered = false;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith("token.", StringComparison.Ordinal))
            {
                token = part["token.".Length..];
            }
            else if (part == SignalingOptions.Subprotocol)
            {
                offered = true;
            }
        }

        return (token, offered ? SignalingOptions.Subprotocol : null);
    }

    private async Task<WebSocketResponse> DisconnectAsync(string connectionId, CancellationToken cancellationToken)
    {
        _buckets.TryRemove(connectionId, out _);
        var record = await connections.RemoveAsync(connectionId, cancellationToken);
        if (record is not null)
        {
            _cache.Forget(record.UserId, connectionId);
        }

        if (record is not null && (await connections.ListAsync(record.UserId, cancellationToken)).Count == 0)
        {
            await TellFriendsAsync(record.UserId, online: false, cancellationToken);
        }

        return WebSocketResponse.Ok;
    }

    private async Task<WebSocketResponse> MessageAsync(WebSocketEvent e, string connectionId, CancellationToken cancellationToken)
    {
        var reply = await ProcessAsync(e, connectionId, cancellationToken);
        if (reply is not null)
        {
            await sender.SendAsync(connectionId, reply, cancellationToken);
        }

        return WebSocketResponse.Ok;
    }

    /// <returns>The reply to the sender, if any.</returns>
    private async Task<byte[]?> ProcessAsync(WebSocketEvent e, string connectionId, CancellationToken cancellationToken)
    {
        if (!_buckets.GetOrAdd(connectionId, _ => new TokenBucket(options.RateBurst, options.RatePerSecond, time)).TryTake())
        {
            return ServerMessages.Error(ErrorCode.RateLimited, $"More than {options.RatePerSecond} messages per second.");
        }

        var body = e.Body ?? "";
        if (!ClientMessage.TryParse(Encoding.UTF8.GetBytes(body), out var message, out var code, out var errorId) || message is null)
        {
            return ServerMessages.Error(code ?? ErrorCode.BadJson, "The message is not a version 1 JSON object with an action.", errorId);
        }

        var me = await _cache.OwnerAsync(connectionId, () => connections.GetAsync(connectionId, cancellationToken));
        if (me is null)
        {
            // Only possible if the $connect item vanished (TTL or a lost race): make the client reconnect.
            return ServerMessages.Error(ErrorCode.Internal, "Unknown connection; reconnect.", message.Id);
        }

        if (message.Has("from"))
        {
            return ServerMessages.Error(ErrorCode.Impersonation, "Clients do not set 'from'; the server fills it in.", message.Id);
        }

        return message.Action switch
        {
            Actions.Ping => ServerMessages.Pong(message.Id),
            Actions.PresenceList => await PresenceListAsync(me, message, cancellationToken),
            Actions.ChatHello or Actions.ChatAck or Actions.ChatMsg => await ChatAsync(me, message, cancellationToken),
            var a when Actions.Planned.Contains(a) => ServerMessages.Error(ErrorCode.NotImplemented, $"'{a}' is not implemented by this server yet.", message.Id),
            _ => ServerMessages.Error(ErrorCode.UnknownAction, "Unknown action.", message.Id),
        };
    }

    private async Task<byte[]> PresenceListAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        var online = new List<Guid>();
        foreach (var friend in await AcceptedFriendsAsync(me.UserId, cancellationToken))
        {
            if ((await connections.ListAsync(friend, cancellationToken)).Count > 0)
            {
                online.Add(friend);
            }
        }

        return ServerMessages.PresenceList(message.Id, online);
    }

    /// <summary>
    /// <c>chat.hello</c> (key exchange), <c>chat.msg</c> (ciphertext) and <c>chat.ack</c> (read/decrypt receipt) are
    /// forwarded verbatim-but-for-routing to every connection of the accepted friend <c>to</c>; the sender gets a
    /// <c>chat.receipt</c> with the number of devices reached. The payload is opaque base64; the server never decrypts.
    /// </summary>
    private async Task<byte[]> ChatAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        if (!message.TryGuid("to", out var to))
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'to' must be a user id.", message.Id);
        }

        var field = message.Action switch
        {
            Actions.ChatHello => "key",
            Actions.ChatAck => "msgId",
            _ => "ciphertext",
        };
        var payload = message.String(field);
        if (payload is null || payload.Length == 0)
        {
            return ServerMessages.Error(ErrorCode.BadRequest, $"'{field}' is required.", message.Id);
        }

        if (field != "msgId")
        {
            if (payload.Length > ((options.MaxCiphertextBytes + 2) / 3 * 4))
            {
                return ServerMessages.Error(ErrorCode.TooLarge, $"'{field}' exceeds {options.MaxCiphertextBytes} bytes.", message.Id);
            }

            if (!IsBase64(payload))
            {
                return ServerMessages.Error(ErrorCode.BadRequest, $"'{field}' must be base64.", message.Id);
            }
        }
        else if (payload.Length > 64)
        {
            return ServerMessages.Error(ErrorCode.BadRequest, "'msgId' is at most 64 characters.", message.Id);
        }

        if (to == me.UserId || !await _cache.AreFriendsAsync(me.UserId, to, () => friendships.AreFriendsAsync(me.UserId, to, cancellationToken)))
        {
            return ServerMessages.Error(ErrorCode.NotFriends, "Chat is only between accepted friends.", message.Id);
        }

        var fields = new JsonObject { ["from"] = me.UserId.ToString(), [field] = payload };
        if (message.Action == Actions.ChatMsg && message.Id is not null)
        {
            fields["msgId"] = message.Id;
        }

        var delivered = await SendToUserAsync(to, ServerMessages.Build(message.Action, null, fields), cancellationToken);
        if (delivered == 0)
        {
            return ServerMessages.Error(ErrorCode.FriendOffline, "The friend has no open connection.", message.Id);
        }

        return ServerMessages.Build(Actions.ChatReceipt, message.Id, new JsonObject { ["to"] = to.ToString(), ["delivered"] = delivered });
    }

    private static bool IsBase64(string s)
    {
        var buffer = s.Length <= 1024 ? stackalloc byte[s.Length] : new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out _);
    }

    private async Task<IReadOnlyList<Guid>> AcceptedFriendsAsync(Guid user, CancellationToken cancellationToken) =>
        [.. (await friendships.ListAsync(user, cancellationToken)).Where(f => f.Status == FriendshipStatus.Accepted).Select(f => f.UserId)];

    private async Task TellFriendsAsync(Guid user, bool online, CancellationToken cancellationToken)
    {
        var message = ServerMessages.Presence(user, online);
        foreach (var friend in await AcceptedFriendsAsync(user, cancellationToken))
        {
            await SendToUserAsync(friend, message, cancellationToken);
        }
    }

    /// <summary>Sends to every connection of <paramref name="user"/> with bounded concurrency; 410 deletes the entry.</summary>
    /// <returns>How many connections received it.</returns>
    private async Task<int> SendToUserAsync(Guid user, byte[] message, CancellationToken cancellationToken)
    {
        var targets = await _cache.ConnectionsAsync(user, () => connections.ListAsync(user, cancellationToken));
        var delivered = 0;
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = options.FanOutConcurrency, CancellationToken = cancellationToken }, async (id, ct) =>
        {
            if (await sender.SendAsync(id, message, ct))
            {
                Interlocked.Increment(ref delivered);
            }
            else
            {
                _cache.Forget(user, id);
                await connections.RemoveAsync(user, id, ct);
            }
        });
        return delivered;
    }
}
