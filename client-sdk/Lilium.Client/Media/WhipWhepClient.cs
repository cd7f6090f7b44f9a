using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lilium.WebRtc.Sdp;

namespace Lilium.Client.Media;

/// <summary>
/// The HTTP half of WHIP (RFC 9725) and WHEP: POST of the SDP offer (<c>application/sdp</c>) with the relay grant as
/// bearer token, the answer and its resource (<c>Location</c>) on 201, DELETE of the resource to leave. The relay's
/// RFC 9457 problems become <see cref="RelayRejectedException"/> (status, <c>code</c>, <c>Retry-After</c>,
/// <c>etaSeconds</c>); a relay that cannot be reached, <see cref="RelayUnavailableException"/>. The SDK's relay is
/// ICE-lite and gathers no candidates after the offer, so it sends no PATCH (no trickle, no ICE restart).
/// </summary>
internal sealed class WhipWhepClient(HttpClient http, string grant)
{
    /// <summary>How long DELETE may take when leaving (best effort).</summary>
    public static readonly TimeSpan DeleteTimeout = TimeSpan.FromSeconds(2);

    /// <summary>POSTs <paramref name="offer"/> to <paramref name="endpoint"/> (<c>{relay}/whip/{session}</c> or <c>/whep/…</c>).</summary>
    public async Task<WhipWhepSession> OfferAsync(Uri endpoint, string offer, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(offer, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/sdp");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new RelayUnavailableException($"The relay at {endpoint.GetLeftPart(UriPartial.Authority)} cannot be reached: {ex.Message}", ex);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw RelayRejectedException.From(response, body);
            }

            if (!SdpParser.TryParse(body, out var answer, out var error))
            {
                throw new RelayRejectedException(201, "bad-answer", "The relay's answer is not valid SDP: " + error);
            }

            var location = response.Headers.Location ?? throw new RelayRejectedException(201, "bad-answer", "The relay's answer has no Location.");
            return new WhipWhepSession(location.IsAbsoluteUri ? location : new Uri(endpoint, location), answer!);
        }
    }

    /// <summary>DELETEs the resource (leaving); best effort within <see cref="DeleteTimeout"/>, never throws.</summary>
    public async Task DeleteAsync(Uri resource)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, resource);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
            using var timeout = new CancellationTokenSource(DeleteTimeout);
            using var _ = await http.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
        }
    }
}

/// <summary>A created WHIP/WHEP resource: where to DELETE it, and the relay's SDP answer.</summary>
internal sealed record WhipWhepSession(Uri Resource, SdpSession Answer);
