using System.Collections.Concurrent;
using System.Net;
using Lilium.Client.Media;
using Lilium.Testing;
using Lilium.Testing.WebRtc;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lilium.Client.Tests;

/// <summary>
/// The SDK's WHIP/WHEP HTTP client against a loopback HTTP server answering as the relay does (the real relay's
/// success and 409 paths are covered by the end-to-end suite): problems with Retry-After and etaSeconds become typed
/// errors, a broken answer is <c>bad-answer</c>, the grant goes as bearer token on POST and DELETE.
/// </summary>
[Trait("Category", "Integration")]
public sealed class WhipWhepClientTests : IAsyncLifetime
{
    private readonly WebApplication _app = LoopbackWebApp.Create();
    private readonly ConcurrentQueue<(string Method, string? Authorization, string? ContentType, string Body)> _requests = new();
    private readonly HttpClient _http = new();
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        _app.Map("/{kind}/{case}/{**resource}", async (HttpContext context, string kind, string @case) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            _requests.Enqueue((context.Request.Method, context.Request.Headers.Authorization, context.Request.ContentType, await reader.ReadToEndAsync()));
            switch (@case)
            {
                case "draining":
                    context.Response.StatusCode = 503;
                    context.Response.Headers.RetryAfter = "5";
                    context.Response.ContentType = "application/problem+json";
                    await context.Response.WriteAsync("""{"type":"about:blank","title":"Draining","status":503,"code":"draining","etaSeconds":7}""");
                    break;
                case "no-location":
                    context.Response.StatusCode = 201;
                    await context.Response.WriteAsync(TestOffers.Publisher());
                    break;
                case "garbage":
                    context.Response.StatusCode = 201;
                    context.Response.Headers.Location = "/whip/x/r1";
                    await context.Response.WriteAsync("this is not SDP");
                    break;
                default:
                    context.Response.StatusCode = context.Request.Method == "DELETE" ? 204 : 201;
                    context.Response.Headers.Location = $"/{kind}/{@case}/resource-1";
                    await context.Response.WriteAsync(TestOffers.Publisher());
                    break;
            }
        });
        await _app.StartAsync();
        _base = new Uri(_app.Urls.First());
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_problem_becomes_a_typed_error_with_retry_after_and_eta()
    {
        var client = new WhipWhepClient(_http, "grant-token");
        var error = await Assert.ThrowsAsync<RelayRejectedException>(() => client.OfferAsync(new Uri(_base, "/whip/draining"), "v=0", CancellationToken.None));

        Assert.Equal((503, "draining"), (error.Status, error.Code));
        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
        Assert.Equal(7, error.EtaSeconds);
        Assert.True(_requests.TryDequeue(out var request));
        Assert.Equal(("POST", "Bearer grant-token", "application/sdp", "v=0"), (request.Method, request.Authorization, request.ContentType, request.Body));
    }

    [Theory]
    [InlineData("no-location")]
    [InlineData("garbage")]
    public async Task A_broken_answer_is_bad_answer(string @case)
    {
        var client = new WhipWhepClient(_http, "grant-token");
        var error = await Assert.ThrowsAsync<RelayRejectedException>(() => client.OfferAsync(new Uri(_base, $"/whep/{@case}"), "v=0", CancellationToken.None));

        Assert.Equal((201, "bad-answer"), (error.Status, error.Code));
    }

    [Fact]
    public async Task The_answer_and_its_resource_come_back_and_delete_carries_the_grant()
    {
        var client = new WhipWhepClient(_http, "grant-token");
        var session = await client.OfferAsync(new Uri(_base, "/whep/ok"), "v=0", CancellationToken.None);

        Assert.Equal(new Uri(_base, "/whep/ok/resource-1"), session.Resource);
        Assert.NotEmpty(session.Answer.Media);
        await client.DeleteAsync(session.Resource);
        var requests = _requests.ToArray();
        Assert.Equal(("DELETE", "Bearer grant-token"), (requests[^1].Method, requests[^1].Authorization));
    }

    [Fact]
    public async Task An_unreachable_relay_is_unavailable_and_delete_never_throws()
    {
        var client = new WhipWhepClient(_http, "grant-token");
        var nowhere = new Uri($"http://127.0.0.1:{Ports.FreeTcp()}/whip/s");

        await Assert.ThrowsAsync<RelayUnavailableException>(() => client.OfferAsync(nowhere, "v=0", CancellationToken.None));
        await client.DeleteAsync(nowhere);
    }
}
