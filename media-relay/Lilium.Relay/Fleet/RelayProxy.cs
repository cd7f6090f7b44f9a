using System.Net;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay.Http;

namespace Lilium.Relay.Fleet;

/// <summary>
/// Hands a WHIP/WHEP request (POST, PATCH, DELETE) whose grant names another relay (<c>rid</c>) to that relay over the
/// private network (FLEET-CONTRACT §3): the load balancer's round robin may land it on any task, but a session lives on
/// one. Method, path, query, <c>Authorization</c>, <c>Content-Type</c>, <c>If-Match</c> and the body go to the owner's
/// <c>privateUrl</c> with <c>X-Lilium-Forwarded: 1</c>; its status, headers (<c>Location</c> stays relative) and body
/// come back unchanged. An owner that is not heard from (no fresh heartbeat), does not answer, or a request that was
/// already forwarded once gets 503 <c>relay-unavailable</c> with <c>Retry-After: 1</c>: the control plane re-places
/// the session and the client retries with a new grant. A draining owner still receives requests (its peers may still
/// PATCH and DELETE; it refuses new offers itself).
/// </summary>
internal sealed partial class RelayProxy(RelayFleet fleet, RelayAdvertisement self, ILogger<RelayProxy> log) : IDisposable
{
    public const string ForwardedHeader = "X-Lilium-Forwarded";
    private static readonly string[] RequestHeaders = ["Authorization", "If-Match", "X-Request-Id", WhipWhepEndpoints.TestLossHeader];
    private static readonly string[] ResponseHeaders = ["Location", "ETag", "Retry-After", "WWW-Authenticate", "Accept-Post", "Accept-Patch", "Link"];

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.None,
    })
    { Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>The relay the request belongs to when it is not this one; null: serve it here.</summary>
    public string? OwnerElsewhere(RelayGrantClaims grant) =>
        grant.RelayId is { Length: > 0 } rid && !string.Equals(rid, self.RelayId, StringComparison.Ordinal) ? rid : null;

    public async Task<IResult> ForwardAsync(HttpContext http, string owner, string? body)
    {
        if (http.Request.Headers.ContainsKey(ForwardedHeader))
        {
            // The owner's entry says it is elsewhere, and that relay sent it here: a stale registry, never a loop.
            return Problems.Unavailable($"The session's relay ({owner}) is not this one and the request was already forwarded once; retry shortly.");
        }

        if (fleet.Registry is not { } registry)
        {
            return Problems.Unavailable($"The grant names relay {owner}, but this relay is not part of a fleet (no CONNECTIONS_TABLE); ask for a new grant.");
        }

        Lilium.Fleet.RelayRecord? record;
        try
        {
            record = await registry.GetAsync(owner, http.RequestAborted);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            LogLookupFailed(log, owner, e.Message);
            return Problems.Unavailable("The relay registry did not answer; retry shortly.");
        }

        if (record is null || !record.IsBeating(registry.Now, registry.LiveWindow) || !Uri.TryCreate(record.PrivateUrl, UriKind.Absolute, out var baseUrl))
        {
            return Problems.Unavailable($"The session's relay ({owner}) is not live; the session is being moved. Retry with a new grant.");
        }

        using var forward = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(baseUrl, http.Request.Path.Value + http.Request.QueryString.Value));
        foreach (var name in RequestHeaders)
        {
            if (http.Request.Headers.TryGetValue(name, out var values))
            {
                forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        forward.Headers.TryAddWithoutValidation(ForwardedHeader, "1");
        if (body is not null)
        {
            forward.Content = new StringContent(body, System.Text.Encoding.UTF8);
            forward.Content.Headers.Remove("Content-Type");
            if (http.Request.ContentType is { } type)
            {
                forward.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }

        try
        {
            using var response = await _http.SendAsync(forward, http.RequestAborted);
            var payload = await response.Content.ReadAsByteArrayAsync(http.RequestAborted);
            var headers = new List<KeyValuePair<string, string>>();
            foreach (var name in ResponseHeaders)
            {
                if (response.Headers.TryGetValues(name, out var values))
                {
                    headers.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v)));
                }
            }

            return new Forwarded((int)response.StatusCode, headers, response.Content.Headers.ContentType?.ToString(), payload);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            LogForwardFailed(log, owner, record.PrivateUrl, e.Message);
            return Problems.Unavailable($"The session's relay ({owner}) did not answer; retry shortly.");
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>The owner's answer, written back as it came.</summary>
    private sealed class Forwarded(int status, List<KeyValuePair<string, string>> headers, string? contentType, byte[] body) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            foreach (var group in headers.GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase))
            {
                response.Headers[group.Key] = group.Select(h => h.Value).ToArray();
            }

            if (contentType is not null)
            {
                response.ContentType = contentType;
            }

            if (body.Length > 0)
            {
                response.ContentLength = body.Length;
                await response.Body.WriteAsync(body, httpContext.RequestAborted);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "registry lookup of relay {Owner} failed: {Message}")]
    private static partial void LogLookupFailed(ILogger logger, string owner, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forwarding to relay {Owner} at {Url} failed: {Message}")]
    private static partial void LogForwardFailed(ILogger logger, string owner, string url, string message);
}
