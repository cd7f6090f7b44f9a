using Lilium.Api.Infrastructure;
using Lilium.Api.Security;
using Lilium.Auth;
using Lilium.Data.Revocations;
using Lilium.Data.Sessions;
using Lilium.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lilium.Api.Endpoints;

/// <summary>
/// <c>GET /v1/relay/revocations?since={unix ms}</c>: the feed every media relay task polls (docs/decisions.md, "How
/// revocations reach the relay"). Authorized by the relay's own credential (<see cref="TokenKind.RelayService"/>,
/// signed with the relay key), not by a user's token.
/// </summary>
internal static class RelayFeedEndpoints
{
    /// <summary>The last Unix millisecond a <see cref="DateTimeOffset"/> holds (9999-12-31T23:59:59.999Z).</summary>
    private const long MaxUnixMs = 253402300799999;

    public static void MapRelayFeedEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/relay/revocations", Revocations).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/v1/relay/departures", Departure).AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>A viewer left the relay on their own (WHEP DELETE, DTLS close, consent lost): the participation ends.</summary>
    private static async Task<IResult> Departure(HttpContext context, TokenService tokens, SessionRepository sessions, CancellationToken ct)
    {
        if (!IsRelay(context, tokens))
        {
            return RelayOnly();
        }

        RelayDeparture? departure;
        try
        {
            departure = await context.Request.ReadFromJsonAsync(RevocationFeedJsonContext.Default.RelayDeparture, ct);
        }
        catch (System.Text.Json.JsonException)
        {
            departure = null;
        }

        if (departure is null || departure.Session == Guid.Empty || departure.User == Guid.Empty)
        {
            return Problems.Of(ErrorCode.InvalidDeparture, "The body must be {\"session\":\"<id>\",\"user\":\"<id>\"}.");
        }

        // Idempotent; a departure from a peer whose grant predates the viewer's latest admission is about an earlier
        // participation (the report arrived after a quick rejoin) and changes nothing. A time too close to the end of
        // DateTimeOffset's range to add the skew to is ignored (the report counts as one without it).
        var admittedBy = departure.GrantIssuedMs is > 0 and <= MaxUnixMs - 1_000 ? DateTimeOffset.FromUnixTimeMilliseconds(departure.GrantIssuedMs.Value) : (DateTimeOffset?)null;
        await sessions.LeaveAsync(departure.Session, departure.User, tokens.Time.GetUtcNow(), admittedBy, ct);
        return Results.NoContent();
    }

    private static bool IsRelay(HttpContext context, TokenService tokens)
    {
        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && tokens.RelayService.TryRead(header["Bearer ".Length..].Trim(), out RelayServiceClaims? _) == TokenError.None;
    }

    private static ProblemHttpResult RelayOnly() =>
        Problems.Of(ErrorCode.InvalidRelayCredential, "This endpoint is for media relays: Authorization: Bearer <relay service token>.");

    private static async Task<IResult> Revocations(HttpContext context, TokenService tokens, RevocationRepository revocations, CancellationToken ct)
    {
        if (!IsRelay(context, tokens))
        {
            return RelayOnly();
        }

        if (!long.TryParse(context.Request.Query["since"], out var sinceMs) || sinceMs < 0 || sinceMs > MaxUnixMs)
        {
            return Problems.Of(ErrorCode.InvalidSince, "since must be a Unix time in milliseconds.");
        }

        var now = tokens.Time.GetUtcNow();
        // Never older than the retention: a relay that was away longer starts from what is kept.
        var since = DateTimeOffset.FromUnixTimeMilliseconds(Math.Max(sinceMs, (now - RevocationRepository.Retention).ToUnixTimeMilliseconds()));
        var rows = await revocations.SinceAsync(since, ct);
        var page = new RevocationFeedPage(now.ToUnixTimeMilliseconds(), [.. rows.Select(r => new RevocationFeedEntry(
            r.Seq, r.Kind, r.SessionId, r.HostId, r.UserId, r.Permissions is { } p ? (int)p : null, r.At.ToUnixTimeMilliseconds()))]);
        return Results.Json(page, RevocationFeedJsonContext.Default.RevocationFeedPage);
    }
}
