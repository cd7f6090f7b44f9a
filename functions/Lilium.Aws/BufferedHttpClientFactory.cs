using Amazon.Runtime;

namespace Lilium.Aws;

/// <summary>
/// An <see cref="HttpClientFactory"/> for AWS SDK clients (DynamoDB) whose responses are read into memory before the
/// SDK sees them. The SDK sends with <c>ResponseHeadersRead</c> and then unmarshals the body with synchronous
/// <c>Stream.Read</c> calls (aws/aws-sdk-net#1870), so every response in flight blocks a thread-pool thread on its
/// socket until the rest of the body arrives; where socket completions run inline on the event-loop thread, that
/// thread blocks on data only it can deliver and the process deadlocks. Buffering reads the body asynchronously;
/// the SDK's reads are then memory copies. One client per factory: give each SDK client config its own factory.
/// </summary>
public sealed class BufferedHttpClientFactory : HttpClientFactory, IDisposable
{
    private readonly Lazy<HttpClient> _client;

    public BufferedHttpClientFactory()
    {
        _client = new Lazy<HttpClient>(() => new HttpClient(new BufferingHandler(new SocketsHttpHandler
        {
            // DNS changes (a moved endpoint) are picked up by new connections.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        })));
    }

    public override HttpClient CreateHttpClient(IClientConfig clientConfig) => _client.Value;

    /// <summary>The factory keeps its one client; the SDK neither caches nor disposes it.</summary>
    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private sealed class BufferingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            try
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
                return response;
            }
            catch
            {
                response.Dispose();
                throw;
            }
        }
    }
}
