using System.Collections.Concurrent;
using Lilium.Auth;
using Lilium.Data;
using Lilium.Data.Friends;
using Lilium.Data.Grants;
using Lilium.Data.Sessions;
using Lilium.Lambda.Events;
using Lilium.Signaling.Connections;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;
using Lilium.Signaling.Protocol;
using Lilium.Signaling.Sessions;
using Npgsql;

namespace Lilium.Signaling;

/// <summary>
/// The API Gateway WebSocket handler: <c>$connect</c> authenticates, <c>$disconnect</c> forgets, every other
/// route is dispatched on the body's <c>action</c>. Usable in process (local gateway) or behind the Lambda runtime loop.
/// Errors in a message never fail the invocation: they become an <c>error</c> message to the sender.
/// </summary>
public sealed class SignalingHandler
{
    private static readonly WebSocketResponse Unauthorized = new() { StatusCode = 401 };
    private static readonly WebSocketResponse Forbidden = new() { StatusCode = 403 };

    // Per-instance rate limit state. On Lambda each concurrent instance holds its own buckets, so a client
    // spread over N instances gets up to N× the rate; see docs/signaling.md.
    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly LookupCache _cache;
    private readonly TokenCodec _accessTokens;
    private readonly ConnectionStore _connections;
    private readonly FriendshipRepository _friendships;
    private readonly SignalingOptions _options;
    private readonly TimeProvider _time;
    private readonly IConnectionSender _sender;
    private readonly Fanout _fanout;
    private readonly SessionRoutes _sessions;
    private readonly SessionRepository _sessionRepository;
    private readonly Housekeeping _housekeeping;
    private readonly Lilium.Data.Revocations.RevocationRepository _revocations;
    private readonly Lilium.Data.Fleet.FleetControl? _fleet;
    private DateTimeOffset? _revocationsSeen;

    public SignalingHandler(TokenKeys keys, ConnectionStore connections, SignalingData data, IConnectionSender sender, SignalingOptions options, TimeProvider time)
    {
        _accessTokens = keys.AccessCodec(time);
        _connections = connections;
        _friendships = data.Friendships;
        _options = options;
        _time = time;
        _sender = sender;
        _cache = new LookupCache(options.ConnectionCacheTtl ?? options.LookupCacheTtl, options.LookupCacheTtl, time);
        _fanout = new Fanout(connections, _cache, sender, options);
        _sessions = new SessionRoutes(data, new JoinRequestStore(connections.Dynamo, connections.TableName, time), _fanout, options, time);
        _sessionRepository = data.Sessions;
        _housekeeping = data.Housekeeping;
        _revocations = data.Revocations;
        _fleet = data.Fleet;
    }

    /// <summary>The usual composition: repositories over <paramref name="database"/>, relay grants signed with the relay key.</summary>
    /// <param name="fleet">The relay fleet, whose tick the sweep runs; null in single-relay setups.</param>
    public static SignalingHandler Create(
        TokenKeys keys, NpgsqlDataSource database, ConnectionStore connections, IConnectionSender sender, SignalingOptions options, TimeProvider time,
        Lilium.Data.Fleet.FleetControl? fleet = null) =>
        new(keys, connections, new SignalingData(
            new FriendshipRepository(database),
            new SessionRepository(database),
            new FriendGrantRepository(database),
            new RelayGrantIssuer(database, keys.RelayCodec(time)),
            new Housekeeping(database),
            new Lilium.Data.Revocations.RevocationRepository(database),
            fleet), sender, options, time);

    public async Task<WebSocketResponse> HandleAsync(WebSocketEvent e, CancellationToken cancellationToken)
    {
        var context = e.RequestContext;
        if (context?.ConnectionId is not { Length: > 0 } connectionId)
        {
            return new WebSocketResponse { StatusCode = 400 };
        }

        var eventType = context.EventType switch
        {
            WebSocketEventType.Connect => "connect",
            WebSocketEventType.Disconnect => "disconnect",
            _ => "message",
        };
        using var activity = SignalingTelemetry.StartEvent(eventType, connectionId);
        var started = SignalingTelemetry.DurationEnabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        var response = context.EventType switch
        {
            WebSocketEventType.Connect => await ConnectAsync(e, connectionId, cancellationToken),
            WebSocketEventType.Disconnect => await DisconnectAsync(connectionId, cancellationToken),
            _ => await MessageAsync(e, connectionId, cancellationToken),
        };
        SignalingTelemetry.EventHandled(eventType, response.StatusCode, started, activity);
        return response;
    }

    private async Task<WebSocketResponse> ConnectAsync(WebSocketEvent e, string connectionId, CancellationToken cancellationToken)
    {
        var (token, subprotocol) = FindToken(e);
        if (_accessTokens.TryRead(token, out AccessClaims? claims) != TokenError.None || claims is null)
        {
            return Unauthorized;
        }

        var record = new ConnectionRecord(connectionId, claims.Subject, claims.Nickname, claims.IssuedAt, claims.ExpiresAt);
        var before = await _connections.TryAddAsync(record, _options.MaxConnectionsPerUser, cancellationToken);
        if (before is null)
        {
            return Forbidden;
        }

        // What this instance has just read and written is the freshest view: prefill, so the first messages to and
        // from this connection do not wait on DynamoDB.
        _cache.Connected(record, [.. before, connectionId]);

        if (before.Count == 0)
        {
            await _sessionRepository.BackAsync(claims.Subject, cancellationToken); // a host back within the grace period keeps their sessions
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
            else if (part == SignalingProtocol.Subprotocol)
            {
                offered = true;
            }
        }

        return (token, offered ? SignalingProtocol.Subprotocol : null);
    }

    private async Task<WebSocketResponse> DisconnectAsync(string connectionId, CancellationToken cancellationToken)
    {
        _buckets.TryRemove(connectionId, out _);
        var record = await _connections.RemoveAsync(connectionId, cancellationToken);
        if (record is null)
        {
            return WebSocketResponse.Ok;
        }

        // As at $connect: what this instance has just written and read is the freshest view of the user's list
        // (without the removed connection, which an eventually consistent index may still return for a moment).
        var remaining = (await _connections.ListAsync(record.UserId, cancellationToken)).Where(c => c != connectionId).ToArray();
        _cache.Disconnected(record, remaining);
        if (remaining.Length == 0)
        {
            // Gone: the user's viewer places are freed at once (the host hears session.left); sessions they host wait
            // out the grace period (SweepAsync).
            foreach (var (session, host) in await _sessionRepository.GoneAsync(record.UserId, _time.GetUtcNow(), cancellationToken))
            {
                await _sessions.TellLeftAsync(session, host, record.UserId, LeaveReasons.Disconnected, cancellationToken);
            }

            await TellFriendsAsync(record.UserId, online: false, cancellationToken);
        }

        return WebSocketResponse.Ok;
    }

    /// <summary>
    /// One sweep: ends sessions whose host has been gone longer than <see cref="SignalingOptions.HostGracePeriod"/> (or
    /// that outlived <see cref="SignalingOptions.MaxSessionAge"/>) and tells their members <c>session.ended</c> with the
    /// reason; deletes expired challenges, invites and refresh families. The local gateway runs it every few seconds; on
    /// AWS a schedule invokes it (docs/security.md).
    /// </summary>
    public async Task<IReadOnlyList<EndedSession>> SweepAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var ended = await _sessionRepository.EndAbandonedAsync(now - _options.HostGracePeriod, now - _options.MaxSessionAge, now, cancellationToken);
        foreach (var session in ended)
        {
            await _sessions.TellEndedAsync(session.SessionId, session.HostId, session.Reason, session.Members, cancellationToken);
        }

        await CloseExpiredAndRevokedAsync(now, cancellationToken);
        await _housekeeping.SweepAsync(now, cancellationToken);
        await FleetTickAsync(cancellationToken);
        return ended;
    }

    /// <summary>
    /// The relay fleet's tick (docs/relay.md): places waiting sessions, moves sessions off dead or draining relays,
    /// scales the relay service, and tells each affected session's host and admitted viewers <c>session.relay</c>.
    /// Also what an ECS task-stopped event runs. Nothing without a fleet.
    /// </summary>
    public async Task<Lilium.Data.Fleet.FleetTick?> FleetTickAsync(CancellationToken cancellationToken)
    {
        if (_fleet is null)
        {
            return null;
        }

        var tick = await _fleet.TickAsync(cancellationToken);
        foreach (var notice in tick.Notices)
        {
            var message = SignalingJson.ToUtf8(new ToClient.SessionRelay(notice.SessionId, notice.State) { RelayId = notice.RelayId, EtaSeconds = notice.EtaSeconds });
            foreach (var member in await _fleet.Placements.MembersAsync(notice.SessionId, cancellationToken))
            {
                await _fanout.SendToUserAsync(member, message, cancellationToken);
            }

            await _fleet.ToldAsync(notice, cancellationToken);
        }

        return tick;
    }

    /// <summary>
    /// Closes connections whose access token expired, and every connection of a user whose login was revoked (logout,
    /// refresh reuse) that was opened with a token issued before the revocation.
    /// </summary>
    private async Task CloseExpiredAndRevokedAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var record in await _connections.ExpiredAsync(now, 1000, cancellationToken))
        {
            await _sender.SendAsync(record.ConnectionId, Error(ErrorCode.TokenExpired, "Your access token expired; reconnect with a fresh one.", null), cancellationToken);
            await _sender.CloseAsync(record.ConnectionId, cancellationToken);
        }

        var since = _revocationsSeen ?? now - _options.RevocationLookback;
        foreach (var revoked in await _revocations.SinceAsync(since, cancellationToken))
        {
            since = revoked.At > since ? revoked.At : since;
            if (revoked.Kind != RevocationKinds.UserRevoked || revoked.UserId is not { } user)
            {
                continue;
            }

            foreach (var connectionId in await _connections.ListAsync(user, cancellationToken))
            {
                if (await _connections.GetAsync(connectionId, cancellationToken) is { } record && record.TokenIssuedAt <= revoked.At.ToUnixTimeSeconds())
                {
                    await _sender.CloseAsync(connectionId, cancellationToken);
                }
            }
        }

        _revocationsSeen = since;
    }

    private async Task<WebSocketResponse> MessageAsync(WebSocketEvent e, string connectionId, CancellationToken cancellationToken)
    {
        var reply = await ProcessAsync(e, connectionId, cancellationToken);
        if (reply is not null)
        {
            await _sender.SendAsync(connectionId, reply, cancellationToken);
        }

        return WebSocketResponse.Ok;
    }

    /// <returns>The reply to the sender, if any.</returns>
    private async Task<byte[]?> ProcessAsync(WebSocketEvent e, string connectionId, CancellationToken cancellationToken)
    {
        if (!_buckets.GetOrAdd(connectionId, _ => new TokenBucket(_options.RateBurst, _options.RatePerSecond, _time)).TryTake())
        {
            return Error(ErrorCode.RateLimited, $"More than {_options.RatePerSecond} messages per second.", null);
        }

        if (!ClientMessage.TryParse(e.Body ?? "", out var parsed, out var code, out var errorId) || parsed is null)
        {
            return Error(code ?? ErrorCode.BadJson, "The message is not a version 1 JSON object with an action.", errorId);
        }

        using var message = parsed;
        SignalingTelemetry.Message(message.Action);
        var me = await _cache.OwnerAsync(connectionId, () => _connections.GetAsync(connectionId, cancellationToken));
        if (me is null)
        {
            // Only possible if the $connect item vanished (TTL or a lost race): make the client reconnect.
            return Error(ErrorCode.InternalError, "Unknown connection; reconnect.", message.Id);
        }

        if (me.TokenExpiresAt > 0 && me.TokenExpiresAt <= _time.GetUtcNow().ToUnixTimeSeconds())
        {
            // The socket outlived its token: tell the client why, and close it (it reconnects with a fresh token).
            await _sender.SendAsync(connectionId, Error(ErrorCode.TokenExpired, "Your access token expired; reconnect with a fresh one.", message.Id), cancellationToken);
            await _sender.CloseAsync(connectionId, cancellationToken);
            return null;
        }

        if (message.Has("from"))
        {
            return Error(ErrorCode.Impersonation, "Clients do not set 'from'; the server fills it in.", message.Id);
        }

        return message.Action switch
        {
            Actions.Ping => SignalingJson.ToUtf8(new ToClient.Pong { Id = message.Id }),
            Actions.PresenceList => await PresenceListAsync(me, message, cancellationToken),
            Actions.ChatHello or Actions.ChatAck or Actions.ChatMsg => await ChatAsync(me, message, cancellationToken),
            var a when SessionRoutes.Serves(a) => await _sessions.HandleAsync(me, message, cancellationToken),
            _ => Error(ErrorCode.UnknownAction, "Unknown action.", message.Id),
        };
    }

    /// <summary>An <c>error</c> reply with <paramref name="code"/>'s wire name.</summary>
    internal static byte[] Error(ErrorCode code, string text, string? id)
    {
        SignalingTelemetry.Error(code);
        return SignalingJson.ToUtf8(new ToClient.Error(code.WireName(), text) { Id = id });
    }

    private async Task<byte[]> PresenceListAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        var online = new List<Guid>();
        foreach (var friend in await AcceptedFriendsAsync(me.UserId, cancellationToken))
        {
            if ((await _connections.ListAsync(friend, cancellationToken)).Count > 0)
            {
                online.Add(friend);
            }
        }

        return SignalingJson.ToUtf8(new ToClient.PresenceList(online) { Id = message.Id });
    }

    /// <summary>
    /// <c>chat.hello</c> (key exchange), <c>chat.msg</c> (ciphertext) and <c>chat.ack</c> (read/decrypt receipt) are
    /// forwarded verbatim-but-for-routing to every connection of the accepted friend <c>to</c>; the sender gets a
    /// <c>chat.receipt</c> with the number of devices reached. The payload is opaque base64; the server never decrypts.
    /// </summary>
    private async Task<byte[]> ChatAsync(ConnectionRecord me, ClientMessage message, CancellationToken cancellationToken)
    {
        (Guid To, string Field, string? Payload) parsed = message.Action switch
        {
            Actions.ChatHello => SignalingJson.TryRead(message.Root, out ToServer.ChatHello? h) ? (h.To, "key", h.Key) : (Guid.Empty, "key", null),
            Actions.ChatAck => SignalingJson.TryRead(message.Root, out ToServer.ChatAck? a) ? (a.To, "msgId", a.MsgId) : (Guid.Empty, "msgId", null),
            _ => SignalingJson.TryRead(message.Root, out ToServer.ChatMsg? m) ? (m.To, "ciphertext", m.Ciphertext) : (Guid.Empty, "ciphertext", null),
        };
        var (to, field, payload) = parsed;
        if (to == Guid.Empty || payload is not { Length: > 0 })
        {
            return Error(ErrorCode.BadRequest, $"'to' must be a user id and '{field}' a non-empty string.", message.Id);
        }

        if (field != "msgId")
        {
            if (payload.Length > ((_options.MaxCiphertextBytes + 2) / 3 * 4))
            {
                return Error(ErrorCode.TooLarge, $"'{field}' exceeds {_options.MaxCiphertextBytes} bytes.", message.Id);
            }

            if (!IsBase64(payload))
            {
                return Error(ErrorCode.BadRequest, $"'{field}' must be base64.", message.Id);
            }
        }
        else if (payload.Length > SignalingProtocol.MaxIdLength)
        {
            return Error(ErrorCode.BadRequest, "'msgId' is at most 64 characters.", message.Id);
        }

        if (to == me.UserId || !await _cache.AreFriendsAsync(me.UserId, to, () => _friendships.AreFriendsAsync(me.UserId, to, cancellationToken)))
        {
            return Error(ErrorCode.NotFriends, "Chat is only between accepted friends.", message.Id);
        }

        WireMessage forward = message.Action switch
        {
            Actions.ChatHello => new ToClient.ChatHello(me.UserId, payload),
            Actions.ChatAck => new ToClient.ChatAck(me.UserId, payload),
            _ => new ToClient.ChatMsg(me.UserId, payload, message.Id),
        };
        var delivered = await _fanout.SendToUserAsync(to, SignalingJson.ToUtf8(forward), cancellationToken);
        if (delivered == 0)
        {
            return Error(ErrorCode.FriendOffline, "The friend has no open connection.", message.Id);
        }

        return SignalingJson.ToUtf8(new ToClient.ChatReceipt(to, delivered) { Id = message.Id });
    }

    private static bool IsBase64(string s)
    {
        var buffer = s.Length <= 1024 ? stackalloc byte[s.Length] : new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out _);
    }

    private async Task<IReadOnlyList<Guid>> AcceptedFriendsAsync(Guid user, CancellationToken cancellationToken) =>
        [.. (await _friendships.ListAsync(user, cancellationToken)).Where(f => f.Status == FriendshipStatus.Accepted).Select(f => f.UserId)];

    private async Task TellFriendsAsync(Guid user, bool online, CancellationToken cancellationToken)
    {
        var message = SignalingJson.ToUtf8(new ToClient.Presence(user, online));
        foreach (var friend in await AcceptedFriendsAsync(user, cancellationToken))
        {
            await _fanout.SendToUserAsync(friend, message, cancellationToken);
        }
    }
}
