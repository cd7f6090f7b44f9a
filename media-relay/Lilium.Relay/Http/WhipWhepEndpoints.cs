using System.Text;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay.Auth;
using Lilium.Relay.Fleet;
using Lilium.Relay.Media;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Sdp;
using Microsoft.Extensions.Options;

namespace Lilium.Relay.Http;

/// <summary>
/// WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep) endpoints. Thin: validate (content type, grant,
/// SDP) apart from acting (<see cref="PeerFactory"/>); every error is an RFC 9457 problem.
/// </summary>
internal static partial class WhipWhepEndpoints
{
    public const string SdpType = "application/sdp";
    public const string TrickleType = "application/trickle-ice-sdpfrag";
    public const string TestLossHeader = "X-Lilium-Test-Loss";

    /// <summary>WHEP query parameter: the highest bitrate (bits/s) the viewer wants; caps its simulcast layer.</summary>
    public const string MaxBitrateParameter = "maxBitrate";
    private const int MaxBody = SdpParser.MaxLength;

    public static void Map(WebApplication app)
    {
        app.MapPost("/whip/{session}", (HttpContext http, string session) => Offer(http, session, RelayRole.Host));
        app.MapPost("/whep/{session}", (HttpContext http, string session) => Offer(http, session, RelayRole.Viewer));
        foreach (var kind in new[] { "whip", "whep" })
        {
            var role = kind == "whip" ? RelayRole.Host : RelayRole.Viewer;
            app.MapMethods($"/{kind}/{{session}}", ["OPTIONS"], Options);
            app.MapMethods($"/{kind}/{{session}}/{{peer}}", ["OPTIONS"], Options);
            app.MapPatch($"/{kind}/{{session}}/{{peer}}", (HttpContext http, string session, string peer) => Patch(http, session, peer, role));
            app.MapDelete($"/{kind}/{{session}}/{{peer}}", (HttpContext http, string session, string peer) => Delete(http, session, peer, role));
        }
    }

    // RFC 9725 §4.2: OPTIONS answers CORS preflight; Accept-Post advertises the offer type.
    private static IResult Options(HttpContext http)
    {
        http.Response.Headers["Accept-Post"] = SdpType;
        http.Response.Headers["Accept-Patch"] = TrickleType;
        return Results.NoContent();
    }

    private static async Task<IResult> Offer(HttpContext http, string sessionText, RelayRole role)
    {
        var services = http.RequestServices;
        var registry = services.GetRequiredService<SessionRegistry>();
        if (!IsContentType(http.Request, SdpType))
        {
            return Problems.UnsupportedMediaType(SdpType);
        }

        if (!Guid.TryParse(sessionText, out var sessionId))
        {
            return Problems.NotFound("Session ids are UUIDs.");
        }

        var verifier = services.GetRequiredService<RelayGrantVerifier>();
        switch (verifier.Check(http.Request.Headers.Authorization, sessionId, role, out var grant, out var detail))
        {
            case GrantCheck.Unauthorized:
                return Problems.Unauthorized(detail);
            case GrantCheck.Forbidden:
                return Problems.Forbidden(detail);
        }

        // The session lives on the relay the grant names (issue 24): another relay's request goes there, as it came.
        var proxy = services.GetRequiredService<RelayProxy>();
        if (proxy.OwnerElsewhere(grant!) is { } owner)
        {
            var forwarded = await ReadBodyAsync(http.Request, http.RequestAborted);
            return forwarded is null
                ? Problems.Of(ErrorCode.TooLarge, $"Offers are limited to {MaxBody} bytes.")
                : await proxy.ForwardAsync(http, owner, forwarded);
        }

        if (services.GetRequiredService<RelayAdvertisement>().State != Readiness.Ready)
        {
            return Problems.Unavailable("This relay has not learned the address it advertises yet; retry shortly.");
        }

        // A grant issued before a revocation the control plane published (kick, leave, block, session end, logout)
        // is refused until it expires.
        if (services.GetRequiredService<RevocationList>().Refusal(grant!) is { } refusal)
        {
            return Problems.Forbidden(refusal);
        }

        if (registry.IsDraining)
        {
            return Problems.Draining();
        }

        // Bounded memory: caps per relay, per user (in the session and on the relay) and per source address.
        var limits = services.GetRequiredService<IOptions<RelayOptions>>().Value;
        var source = ClientAddress.Of(http, limits.TrustedProxies());
        if (PeerLimits.Refusal(registry, limits, grant!, sessionId, source) is { } refused)
        {
            return refused;
        }

        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (body is null)
        {
            return Problems.Of(ErrorCode.TooLarge, $"Offers are limited to {MaxBody} bytes.");
        }

        if (!SdpParser.TryParse(body, out var offer, out var sdpError))
        {
            return Problems.BadSdp(sdpError!);
        }

        var factory = services.GetRequiredService<PeerFactory>();
        MediaPeer? peer;
        string? answer;
        string? error;
        if (role == RelayRole.Host)
        {
            var session = registry.GetOrAddSession(sessionId);
            if (!factory.TryCreatePublisher(session, grant!, source, offer!, out peer, out answer, out error))
            {
                registry.RemoveIfEmpty(session);
                return error == "conflict"
                    ? Problems.Of(ErrorCode.AlreadyPublishing, "This session already has a live publisher; DELETE it first.")
                    : Problems.BadSdp(error!);
            }
        }
        else
        {
            // WHEP "Session Management": no live publisher yet → 409 + Retry-After.
            if (registry.FindSession(sessionId) is not { Publisher: { IsClosed: false } publisher } session)
            {
                return Problems.Of(ErrorCode.NoPublisher, "The session has no live publisher yet.",
                    new Dictionary<string, string> { ["Retry-After"] = "2" });
            }

            // A viewer's simulcast hint (docs/relay.md, "Simulcast"): the most it wants sent, in bits/s.
            var cap = long.MaxValue;
            if (http.Request.Query.TryGetValue(MaxBitrateParameter, out var hint)
                && (hint.Count != 1 || !long.TryParse(hint[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out cap) || cap is < 1 or > 10_000_000_000))
            {
                return Problems.Of(ErrorCode.BadRequest, $"{MaxBitrateParameter} must be one whole number of bits per second, 1 to 10000000000.");
            }

            // Only marks the peer: a send impairment that tests compose (never production) acts on marked viewers alone.
            var impairable = http.Request.Headers.ContainsKey(TestLossHeader);

            // A viewer that asks for video (or audio) it cannot decode gets a problem saying so, not a black screen.
            if (CodecMatcher.FindUncarried(offer!, publisher.Streams.Select(s => (s.Kind, s.Media.Codec))) is { } missing)
            {
                return Problems.Of(ErrorCode.CodecUnsupported,
                    $"The host sends {missing.Kind} as {CodecMatcher.Describe(missing.Codec)}, and this offer has no {missing.Kind} format that can carry it.");
            }

            if (!factory.TryCreateSubscriber(session, grant!, source, publisher, offer!, impairable, out peer, out answer, out error))
            {
                return Problems.BadSdp(error!);
            }

            peer!.LayerCapBps = cap;
        }

        LogPeerCreated(services.GetRequiredService<ILoggerFactory>().CreateLogger("Lilium.Relay.Http"), peer!.Id, role, sessionId);
        var kind = role == RelayRole.Host ? "whip" : "whep";
        http.Response.Headers.Location = $"/{kind}/{sessionId}/{peer.Id}";
        http.Response.Headers.ETag = peer.ETag;
        return Results.Text(answer!, SdpType, Encoding.UTF8, StatusCodes.Status201Created);
    }

    // RFC 9725 §4.3: trickle and restart. As an ICE-lite server we learn the peer's address from its
    // checks, so candidates are accepted and ignored; ICE restart is not supported (422).
    private static async Task<IResult> Patch(HttpContext http, string sessionText, string peerText, RelayRole role)
    {
        var (peer, failure, owner) = Authorize(http, sessionText, peerText, role);
        if (owner is not null)
        {
            var forwarded = await ReadBodyAsync(http.Request, http.RequestAborted);
            return forwarded is null
                ? Problems.Of(ErrorCode.TooLarge, $"Fragments are limited to {MaxBody} bytes.")
                : await http.RequestServices.GetRequiredService<RelayProxy>().ForwardAsync(http, owner, forwarded);
        }

        if (failure is not null)
        {
            return failure;
        }

        if (!IsContentType(http.Request, TrickleType))
        {
            return Problems.UnsupportedMediaType(TrickleType);
        }

        var ifMatch = http.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(ifMatch))
        {
            return Problems.Of(ErrorCode.PreconditionRequired, "PATCH needs If-Match with the session's ETag.");
        }

        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (body is null)
        {
            return Problems.Of(ErrorCode.TooLarge, $"Fragments are limited to {MaxBody} bytes.");
        }

        if (!SdpParser.TryParseFragment(body, out var fragment, out var error))
        {
            return Problems.Of(ErrorCode.BadSdpFragment, error!);
        }

        if (ifMatch.Trim() == "*")
        {
            return Problems.Of(ErrorCode.IceRestartUnsupported, "This relay supports trickle only; start a new session instead.");
        }

        if (ifMatch.Trim() != peer!.ETag)
        {
            return Problems.Of(ErrorCode.PreconditionFailed, "The ICE session changed; fetch a new ETag.");
        }

        _ = fragment; // candidates are not needed by a lite agent (RFC 8445 §2.5)
        return Results.NoContent();
    }

    private static async Task<IResult> Delete(HttpContext http, string sessionText, string peerText, RelayRole role)
    {
        var (peer, failure, owner) = Authorize(http, sessionText, peerText, role);
        if (owner is not null)
        {
            return await http.RequestServices.GetRequiredService<RelayProxy>().ForwardAsync(http, owner, null);
        }

        if (failure is not null)
        {
            return failure;
        }

        http.RequestServices.GetRequiredService<PeerTransport>().Close(peer!, "DELETE");
        return Results.Ok();
    }

    /// <summary>The caller's own peer here, or the failure to answer, or the relay (<c>rid</c>) to forward to.</summary>
    private static (MediaPeer? Peer, IResult? Failure, string? Owner) Authorize(HttpContext http, string sessionText, string peerText, RelayRole role)
    {
        if (!Guid.TryParse(sessionText, out var sessionId) || !Guid.TryParse(peerText, out var peerId))
        {
            return (null, Problems.NotFound("No such WHIP/WHEP session."), null);
        }

        var verifier = http.RequestServices.GetRequiredService<RelayGrantVerifier>();
        switch (verifier.Check(http.Request.Headers.Authorization, sessionId, role, out var grant, out var detail))
        {
            case GrantCheck.Unauthorized:
                return (null, Problems.Unauthorized(detail), null);
            case GrantCheck.Forbidden:
                return (null, Problems.Forbidden(detail), null);
        }

        if (http.RequestServices.GetRequiredService<RelayProxy>().OwnerElsewhere(grant!) is { } owner)
        {
            return (null, null, owner);
        }

        // The resource is the grant subject's own: another viewer of the same session (who may learn a peer id from a
        // Location header shared in a log or a bug report) can neither trickle into nor tear down someone else's peer.
        // Not found, not forbidden, so a probe learns nothing.
        var peer = http.RequestServices.GetRequiredService<SessionRegistry>().FindPeer(peerId);
        var expected = role == RelayRole.Host ? PeerRole.Publisher : PeerRole.Subscriber;
        return peer is null || peer.Session.Id != sessionId || peer.Role != expected || peer.User != grant!.Subject
            ? (null, Problems.NotFound("No such WHIP/WHEP session."), null)
            : (peer, null, null);
    }

    private static bool IsContentType(HttpRequest request, string expected)
    {
        var type = request.ContentType;
        if (string.IsNullOrEmpty(type))
        {
            return false;
        }

        var semicolon = type.IndexOf(';', StringComparison.Ordinal);
        return string.Equals((semicolon < 0 ? type : type[..semicolon]).Trim(), expected, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<string?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBody)
        {
            return null;
        }

        var buffer = new byte[MaxBody + 1];
        var total = 0;
        int n;
        while ((n = await request.Body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += n;
            if (total > MaxBody)
            {
                return null;
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} created as {Role} in session {SessionId}")]
    private static partial void LogPeerCreated(ILogger logger, Guid peerId, RelayRole role, Guid sessionId);
}
