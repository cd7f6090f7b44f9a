using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay.Media;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Sessions;

/// <summary>
/// Polls the control plane's revocations feed (<c>GET {RELAY_CONTROL_PLANE_URL}/v1/relay/revocations?since=…</c>) every
/// <see cref="RelayOptions.RevocationPollInterval"/> and applies what it finds to live peers: an ended session's peers
/// are closed, a removed viewer's and a revoked user's peers are closed, a changed input grant is applied to the
/// viewer's gate. Each relay task polls on its own, so this works with any number of tasks (docs/decisions.md).
/// It asks from a few seconds before the server's clock of its previous answer and skips rows it has applied (by
/// <c>seq</c>), so a transaction that commits after a later one is still seen.
/// </summary>
internal sealed partial class RevocationPoller(
    IOptions<RelayOptions> options, RevocationList revocations, SessionRegistry registry, PeerTransport transport, Input.InputRouter input,
    DepartureQueue departures, TokenCodec relayKey, TimeProvider time, ILogger<RevocationPoller> logger) : BackgroundService
{
    /// <summary>How far back each poll reaches before the previous answer's clock (late commits).</summary>
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    private readonly Dictionary<long, long> _applied = []; // seq → at (ms), pruned past the overlap
    private readonly Guid _instance = Guid.NewGuid();
    private string? _credential;
    private long _credentialExpires;

    /// <summary>The server clock (unix ms) of the last successful poll; 0 before the first.</summary>
    public long LastPollMs { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        if (o.ControlPlaneUrl is not { } baseUrl)
        {
            LogDisabled(logger);
            return;
        }

        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(5) };
        using var timer = new PeriodicTimer(o.RevocationPollInterval, time);
        var since = (time.GetUtcNow() - RevocationList.Retention).ToUnixTimeMilliseconds();
        var failures = 0;
        do
        {
            try
            {
                since = await PollOnceAsync(http, since, stoppingToken);
                await ReportDeparturesAsync(http, stoppingToken);
                failures = 0;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !stoppingToken.IsCancellationRequested)
            {
                if (failures++ % 40 == 0)
                {
                    LogPollFailed(logger, e.Message);
                }
            }

            revocations.Prune();
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task<long> PollOnceAsync(HttpClient http, long since, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/relay/revocations?since={since}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Credential());
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var page = await response.Content.ReadFromJsonAsync(RevocationFeedJsonContext.Default.RevocationFeedPage, cancellationToken)
            ?? throw new System.Text.Json.JsonException("empty revocations page");
        foreach (var entry in page.Entries)
        {
            if (_applied.TryAdd(entry.Seq, entry.At))
            {
                Apply(entry);
            }
        }

        LastPollMs = page.Now;
        var next = page.Now - (long)Overlap.TotalMilliseconds;
        if (page.Entries.Length > 0 && page.Entries.Length >= 500)
        {
            next = Math.Min(next, page.Entries[^1].At); // a full page: continue from its last row at once
        }

        foreach (var (seq, at) in _applied.ToArray())
        {
            if (at < next - (long)Overlap.TotalMilliseconds)
            {
                _applied.Remove(seq);
            }
        }

        return next;
    }

    /// <summary>Tells the control plane who left (<c>POST v1/relay/departures</c>); a report that fails is queued again.</summary>
    private async Task ReportDeparturesAsync(HttpClient http, CancellationToken cancellationToken)
    {
        while (departures.TryTake(out var departure))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/relay/departures")
            {
                Content = JsonContent.Create(new RelayDeparture(departure.Session, departure.User, departure.GrantIssuedMs), RevocationFeedJsonContext.Default.RelayDeparture),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Credential());
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                response.EnsureSuccessStatusCode();
            }
            catch
            {
                departures.Report(departure.Session, departure.User, departure.GrantIssuedMs);
                throw;
            }
        }
    }

    /// <summary>Applies one entry (also used by tests through the poller's path only).</summary>
    internal void Apply(RevocationFeedEntry entry)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(entry.At);
        switch (entry.Kind)
        {
            case RevocationKinds.SessionEnded when entry.Session is { } session:
                revocations.SessionEnded(session, at);
                if (registry.FindSession(session) is { } ended)
                {
                    foreach (var peer in ended.Subscribers)
                    {
                        transport.Close(peer, "session-ended");
                    }

                    if (ended.Publisher is { } publisher)
                    {
                        transport.Close(publisher, "session-ended");
                    }
                }

                break;
            // A removal or revocation closes the peers whose grants it revokes — those issued at or before it — and not
            // a peer admitted again since (a viewer who left and rejoined before this entry was polled).
            case RevocationKinds.Removed when entry.Session is { } session && entry.User is { } user:
                revocations.Removed(session, user, at);
                if (registry.FindSession(session) is { } live)
                {
                    foreach (var peer in live.Subscribers.Where(p => p.User == user && RevocationList.Revokes(entry.At, p.GrantIssuedMs)))
                    {
                        transport.Close(peer, "removed");
                    }
                }

                break;
            case RevocationKinds.UserRevoked when entry.User is { } user:
                revocations.UserRevoked(user, at);
                foreach (var peer in registry.Peers.Where(p => p.User == user && RevocationList.Revokes(entry.At, p.GrantIssuedMs)).ToArray())
                {
                    transport.Close(peer, "login-revoked");
                }

                break;
            case RevocationKinds.Permissions when entry.Host is { } host && entry.User is { } viewer && entry.Permissions is { } bits:
                foreach (var peer in registry.Peers.Where(p => p.Role == PeerRole.Publisher && p.User == host && !p.IsClosed).ToArray())
                {
                    input.SetViewerPermissions(peer.Session, viewer, (InputPermissions)(bits & 0x0F));
                }

                break;
        }

        LogApplied(logger, entry.Kind, entry.Seq, entry.Session, entry.User);
    }

    private string Credential()
    {
        var now = time.GetUtcNow();
        if (_credential is null || _credentialExpires - 60 <= now.ToUnixTimeSeconds())
        {
            _credentialExpires = (now + TimeSpan.FromMinutes(5)).ToUnixTimeSeconds();
            _credential = relayKey.WithKind(TokenKind.RelayService).Issue(new RelayServiceClaims
            {
                Subject = _instance,
                IssuedAt = now.ToUnixTimeSeconds(),
                ExpiresAt = _credentialExpires,
            });
        }

        return _credential;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RELAY_CONTROL_PLANE_URL is not set: revocations (kick, block, session end, logout) reach this relay only when grants expire")]
    private static partial void LogDisabled(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "revocations poll failed: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "revocation {Kind} #{Seq} applied (session {Session}, user {User})")]
    private static partial void LogApplied(ILogger logger, string kind, long seq, Guid? session, Guid? user);
}
