using System.Net;
using System.Text.Json;

namespace Lilium.RelaySupervisor;

/// <summary>
/// The local stand-in for the ALB in front of the relay service: every request goes to the next ready relay, round
/// robin — so WHIP, WHEP, PATCH and DELETE do land on relays that do not own their session, as on AWS, and the relays'
/// proxying by the grant's <c>rid</c> is what brings them to the owner. No ready relay: 503 <c>relay-unavailable</c>
/// with <c>Retry-After: 1</c>; a relay that does not answer: 502 (the ALB's answers, as problem details).
/// </summary>
internal sealed class LoadBalancer(Supervisor supervisor) : IDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(2),
    })
    { Timeout = TimeSpan.FromSeconds(30) };

    private int _next = -1;

    public async Task ForwardAsync(HttpContext context)
    {
        var targets = supervisor.Targets;
        if (targets.Count == 0)
        {
            await ProblemAsync(context, 503, "No relay is ready; one may be starting. Retry shortly.");
            return;
        }

        var target = targets[(int)((uint)Interlocked.Increment(ref _next) % (uint)targets.Count)];
        var request = context.Request;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), new Uri(target.BaseUrl, request.Path.Value?.TrimStart('/') + request.QueryString.Value));
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            forward.Content = new StreamContent(request.Body);
        }

        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
            {
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            await ProblemAsync(context, 502, $"Relay {target.RelayId} did not answer.");
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (!HopByHop.Contains(name))
                {
                    context.Response.Headers[name] = values.ToArray();
                }
            }

            context.Response.Headers["X-Lilium-Relay"] = target.RelayId;
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    public void Dispose() => _http.Dispose();

    private static async Task ProblemAsync(HttpContext context, int status, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.RetryAfter = "1";
        context.Response.ContentType = "application/problem+json";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("type", "urn:lilium:relay:problem:relay-unavailable");
        writer.WriteString("title", "Relay unavailable");
        writer.WriteNumber("status", status);
        writer.WriteString("detail", detail);
        writer.WriteString("code", "relay-unavailable");
        writer.WriteEndObject();
    }
}
