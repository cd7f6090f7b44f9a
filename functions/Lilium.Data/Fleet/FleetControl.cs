using System.Collections.Concurrent;
using Lilium.Aws;
using Lilium.Aws.Ecs;
using Lilium.Fleet;
using Lilium.Protocol.Signaling;

namespace Lilium.Data.Fleet;

/// <summary>
/// The control plane's half of the relay fleet (docs/relay.md, "The fleet"), shared by the API and the signaling sweep:
/// <list type="bullet">
/// <item>placement — a session goes to <see cref="Placement.Choose"/>'s live relay and stays there while it is live and
/// not draining; with no live relay it waits (<c>relay_id</c> NULL) and the relay service's desired count is raised;</item>
/// <item>the tick — places waiting sessions, moves sessions off dead or draining relays, scales out when every live relay
/// is loaded above <see cref="FleetSettings.ScaleOutLoad"/>, back to 0 after <see cref="FleetSettings.IdleTimeout"/>
/// without sessions (never while a relay still holds one), and lists the <c>session.relay</c> notices to send.</item>
/// </list>
/// Stateless between calls (Lambda): everything it decides on is in Postgres, the registry and ECS.
/// </summary>
public sealed class FleetControl
{
    /// <summary>The most active sessions one tick looks at.</summary>
    public const int TickLimit = 5000;

    private readonly FleetSettings _settings;
    private readonly RelayRegistry _registry;
    private readonly SessionPlacementRepository _placements;
    private readonly EcsClient? _ecs;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Guid, long> _checks = new();

    public FleetControl(FleetSettings settings, RelayRegistry registry, SessionPlacementRepository placements, EcsClient? ecs, TimeProvider time)
    {
        _settings = settings;
        _registry = registry;
        _placements = placements;
        _ecs = settings.CanScale ? ecs : null;
        _time = time;
    }

    /// <summary>
    /// The fleet from the environment: null (no placement, grants without <c>rid</c>, as a single-relay setup) unless
    /// <c>RELAY_CLUSTER</c>, <c>RELAY_SERVICE</c> and <c>CONNECTIONS_TABLE</c> are set.
    /// </summary>
    public static FleetControl? FromEnvironment(
        Npgsql.NpgsqlDataSource database, Func<string, string?> variable, TimeProvider time, AwsContext? aws = null, Amazon.DynamoDBv2.IAmazonDynamoDB? dynamo = null)
    {
        var settings = FleetSettings.From(variable);
        if (!settings.CanScale || settings.Table is not { } table)
        {
            return null;
        }

        var registry = new RelayRegistry(dynamo ?? DynamoDbClients.Create(), table, time, settings.LiveWindow);
        return new FleetControl(settings, registry, new SessionPlacementRepository(database), new EcsClient(aws ?? AwsContext.FromEnvironment()), time);
    }

    public FleetSettings Settings => _settings;

    public RelayRegistry Registry => _registry;

    public SessionPlacementRepository Placements => _placements;

    private int EtaSeconds => (int)Math.Ceiling(_settings.StartEstimate.TotalSeconds);

    /// <summary>
    /// Makes sure the active session has a live owner: keeps a live one, else places it on the best live relay (the
    /// grant then names it), else raises the desired count and answers <c>starting</c>. Null when the session is not active.
    /// </summary>
    public async Task<RelayPlacementResult?> EnsurePlacedAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var placement = await _placements.GetActiveAsync(sessionId, cancellationToken);
            if (placement is null)
            {
                return null;
            }

            var relays = await _registry.ListAsync(cancellationToken);
            var now = _time.GetUtcNow();
            if (placement.RelayId is { } owner && relays.FirstOrDefault(r => r.RelayId == owner) is { } current && current.IsLive(now, _settings.LiveWindow))
            {
                return new RelayPlacementResult(RelayStates.Ready, owner, null);
            }

            var chosen = Placement.Choose(relays, now, _settings.LiveWindow);
            if (chosen is not null)
            {
                if (await _placements.TryMoveAsync(sessionId, placement.RelayId, chosen.RelayId, cancellationToken))
                {
                    return new RelayPlacementResult(RelayStates.Ready, chosen.RelayId, null);
                }

                continue; // another placer won: read again
            }

            // No live relay with room. A dead owner is forgotten (its grants could only fail); a draining one keeps the
            // session (it still serves its peers) until another relay is live.
            if (placement.RelayId is { } gone && !relays.Any(r => r.RelayId == gone && r.IsBeating(now, _settings.LiveWindow)))
            {
                await _placements.TryMoveAsync(sessionId, gone, null, cancellationToken);
            }

            await ScaleUpAsync(relays, now, cancellationToken);
            return new RelayPlacementResult(RelayStates.Starting, null, EtaSeconds);
        }

        return new RelayPlacementResult(RelayStates.Starting, null, EtaSeconds);
    }

    /// <summary>
    /// A client saw its media stop (<c>POST /v1/sessions/{id}/relay-check</c>): <see cref="EnsurePlacedAsync"/> now, at
    /// most once a second per session (more often answers what the last check found without new work).
    /// </summary>
    public async Task<RelayPlacementResult?> CheckAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        var now = _time.GetTimestamp();
        var last = _checks.GetOrAdd(sessionId, 0);
        if (last != 0 && _time.GetElapsedTime(last, now) < TimeSpan.FromSeconds(1) && await _placements.GetActiveAsync(sessionId, cancellationToken) is { } p)
        {
            return p.RelayId is { } id ? new RelayPlacementResult(RelayStates.Ready, id, null) : new RelayPlacementResult(RelayStates.Starting, null, EtaSeconds);
        }

        _checks[sessionId] = now;
        if (_checks.Count > 10_000)
        {
            foreach (var key in _checks.Where(kv => _time.GetElapsedTime(kv.Value, now) > TimeSpan.FromSeconds(10)).Select(kv => kv.Key).ToArray())
            {
                _checks.TryRemove(key, out _);
            }
        }

        return await EnsurePlacedAsync(sessionId, cancellationToken);
    }

    /// <summary>
    /// One fleet tick (the signaling sweep runs it; so may an ECS task-stopped event): places waiting sessions, moves
    /// sessions off relays that are dead or draining, sets the desired count, and returns the notices to send.
    /// </summary>
    public async Task<FleetTick> TickAsync(CancellationToken cancellationToken = default)
    {
        var relays = (await _registry.ListAsync(cancellationToken)).ToList();
        var now = _time.GetUtcNow();
        var sessions = await _placements.ListActiveAsync(TickLimit, cancellationToken);
        var moves = 0;
        var waiting = 0;
        var placed = new List<SessionPlacement>(sessions.Count);
        foreach (var session in sessions)
        {
            var owner = session.RelayId is { } id ? relays.FirstOrDefault(r => r.RelayId == id) : null;
            if (owner is not null && owner.IsLive(now, _settings.LiveWindow))
            {
                placed.Add(session);
                continue;
            }

            var chosen = Placement.Choose(relays, now, _settings.LiveWindow);
            string? target = session.RelayId;
            if (chosen is not null)
            {
                target = chosen.RelayId;
                // Count the session (and a peer for its host) on the chosen relay, so one tick spreads many sessions.
                relays[relays.IndexOf(chosen)] = chosen with { Sessions = chosen.Sessions + 1, Load = chosen.Load + 1 };
            }
            else if (owner is null || !owner.IsBeating(now, _settings.LiveWindow))
            {
                target = null; // dead owner: forget it; a draining one keeps the session until another relay is live
            }

            if (target != session.RelayId && await _placements.TryMoveAsync(session.SessionId, session.RelayId, target, cancellationToken))
            {
                moves++;
                placed.Add(session with { RelayId = target });
            }
            else
            {
                placed.Add(session);
            }

            if (chosen is null)
            {
                waiting++;
            }
        }

        var desired = await ScaleAsync(relays, now, waiting, sessions.Count, cancellationToken);
        var notices = new List<RelayNotice>();
        foreach (var session in placed)
        {
            if (session.RelayId is { } relay && session.RelayTold != relay)
            {
                notices.Add(new RelayNotice(session.SessionId, string.IsNullOrEmpty(session.RelayTold) ? RelayStates.Ready : RelayStates.Moved, relay, null));
            }
            else if (session.RelayId is null && session.RelayTold != "")
            {
                notices.Add(new RelayNotice(session.SessionId, RelayStates.Starting, null, EtaSeconds));
            }
        }

        return new FleetTick(notices, moves, desired);
    }

    /// <summary>Records that the session's members heard <paramref name="notice"/>.</summary>
    public Task ToldAsync(RelayNotice notice, CancellationToken cancellationToken = default) =>
        _placements.MarkToldAsync(notice.SessionId, notice.RelayId, notice.RelayId ?? "", cancellationToken);

    /// <summary>Places a new session at creation and records that its host was told (the answer carries it).</summary>
    public async Task<RelayPlacementResult> PlaceNewAsync(Guid sessionId, CancellationToken cancellationToken = default)
    {
        var result = await EnsurePlacedAsync(sessionId, cancellationToken) ?? new RelayPlacementResult(RelayStates.Starting, null, EtaSeconds);
        await _placements.MarkToldAsync(sessionId, result.RelayId, result.RelayId ?? "", cancellationToken);
        return result;
    }

    private async Task<int?> ScaleAsync(IReadOnlyList<RelayRecord> relays, DateTimeOffset now, int waiting, int activeSessions, CancellationToken cancellationToken)
    {
        if (_ecs is null)
        {
            return null;
        }

        if (waiting > 0)
        {
            return await ScaleUpAsync(relays, now, cancellationToken);
        }

        var live = relays.Where(r => r.IsLive(now, _settings.LiveWindow)).ToArray();
        if (live.Length > 0 && Placement.AllAbove(live, now, _settings.ScaleOutLoad, _settings.LiveWindow))
        {
            return await ScaleUpAsync(relays, now, cancellationToken);
        }

        // Idle: no active session for IdleTimeout, and no relay still holding one (its peers may outlive the session row).
        // A database that never had a session leaves the count alone (an operator's warm start).
        if (activeSessions == 0 && !relays.Any(r => r.IsBeating(now, _settings.LiveWindow) && r.Sessions > 0)
            && await _placements.LastActivityAsync(now, cancellationToken) is { } last
            && now - last >= _settings.IdleTimeout)
        {
            var service = await DescribeAsync(cancellationToken);
            if (service is { DesiredCount: > 0 })
            {
                await _ecs.UpdateServiceAsync(new UpdateServiceRequest(_settings.Cluster!, _settings.Service!) { DesiredCount = 0 }, cancellationToken);
                return 0;
            }
        }

        return null;
    }

    /// <summary>
    /// One more relay unless one is already coming: the desired count goes to (relays still beating, draining ones
    /// included, as ECS counts them until they exit) + 1 when it is not above that already. Null when nothing changed.
    /// </summary>
    private async Task<int?> ScaleUpAsync(IReadOnlyList<RelayRecord> relays, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (_ecs is null)
        {
            return null;
        }

        var beating = relays.Count(r => r.IsBeating(now, _settings.LiveWindow));
        var service = await DescribeAsync(cancellationToken);
        var current = service?.DesiredCount ?? 0;
        if (current > beating)
        {
            return null; // a task is already starting
        }

        var desired = beating + 1;
        await _ecs.UpdateServiceAsync(new UpdateServiceRequest(_settings.Cluster!, _settings.Service!) { DesiredCount = desired }, cancellationToken);
        return desired;
    }

    private async Task<EcsService?> DescribeAsync(CancellationToken cancellationToken)
    {
        var result = await _ecs!.DescribeServicesAsync(_settings.Cluster!, [_settings.Service!], cancellationToken);
        return result.Services.Count > 0 ? result.Services[0] : null;
    }
}
