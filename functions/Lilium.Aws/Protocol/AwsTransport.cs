using System.Net.Http.Headers;
using Polly;
using Polly.Retry;

namespace Lilium.Aws.Protocol;

/// <summary>
/// Signs and sends one request, with a short retry (Polly) on throttling, 5xx and connection failures;
/// each attempt is signed afresh. Non-2xx answers become <see cref="AwsServiceException"/>.
/// </summary>
internal sealed class AwsTransport
{
    private readonly AwsContext _context;
    private readonly ResiliencePipeline _retry;

    public AwsTransport(AwsContext context)
    {
        _context = context;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<AwsServiceException>(e => e.IsTransient)
                    .Handle<HttpRequestException>(),
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
            })
            .Build();
    }

    public ValueTask<AwsResponse> SendAsync(AwsRequest request, CancellationToken cancellationToken) =>
        _retry.ExecuteAsync(static (state, ct) => state.Self.SendOnceAsync(state.Request, ct), (Self: this, Request: request), cancellationToken);

    private async ValueTask<AwsResponse> SendOnceAsync(AwsRequest request, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(request.Method, request.Uri);
        if (!request.Body.IsEmpty || request.ContentType is not null)
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType);
            }
        }

        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        var credentials = await _context.Credentials.GetCredentialsAsync(cancellationToken);
        _context.Signer.Sign(message, request.Body, credentials, request.Scope, _context.Time.GetUtcNow());

        using var response = await _context.Http.SendAsync(message, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw AwsErrorParser.Parse(request.Service, response.StatusCode, response.Headers, body);
        }

        return new AwsResponse(response.StatusCode, body);
    }
}
