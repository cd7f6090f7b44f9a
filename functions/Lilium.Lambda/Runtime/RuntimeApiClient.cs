using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Lilium.Lambda.Runtime;

/// <summary>
/// The Lambda Runtime API (<c>http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/</c>):
/// <c>GET invocation/next</c> (long poll, no timeout), <c>POST invocation/{id}/response</c>,
/// <c>POST invocation/{id}/error</c>, <c>POST init/error</c> (docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
/// </summary>
public sealed class RuntimeApiClient
{
    public const string RequestIdHeader = "Lambda-Runtime-Aws-Request-Id";
    public const string DeadlineHeader = "Lambda-Runtime-Deadline-Ms";
    public const string FunctionArnHeader = "Lambda-Runtime-Invoked-Function-Arn";
    public const string TraceIdHeader = "Lambda-Runtime-Trace-Id";
    public const string ErrorTypeHeader = "Lambda-Runtime-Function-Error-Type";

    private readonly HttpClient _http;
    private readonly Uri _base;

    /// <param name="runtimeApi">The <c>host:port</c> from <c>AWS_LAMBDA_RUNTIME_API</c>.</param>
    /// <param name="http">A client to use; by default one with no timeout, as the next-event poll requires.</param>
    public RuntimeApiClient(string runtimeApi, HttpClient? http = null)
    {
        if (!Uri.TryCreate("http://" + runtimeApi + "/2018-06-01/runtime/", UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"Not a host:port: '{runtimeApi}'.", nameof(runtimeApi));
        }

        _base = uri;
        _http = http ?? new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan, UseProxy = false })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Waits (without a timeout) for the next event.</summary>
    public async Task<LambdaInvocation> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri(_base, "invocation/next"), HttpCompletionOption.ResponseContentRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken);

        var requestId = Header(response, RequestIdHeader)
            ?? throw new InvalidOperationException($"The Runtime API sent an event without {RequestIdHeader}.");
        var deadline = long.TryParse(Header(response, DeadlineHeader), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.MaxValue;
        return new LambdaInvocation(requestId, deadline, Header(response, FunctionArnHeader), Header(response, TraceIdHeader), payload);
    }

    /// <summary>Sends the invocation's result.</summary>
    public async Task RespondAsync(string requestId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using var content = new ReadOnlyMemoryContent(payload);
        using var response = await _http.PostAsync(InvocationUri(requestId, "response"), content, cancellationToken);
        await EnsureAcceptedAsync(response, "response", cancellationToken);
    }

    /// <summary>Reports that the invocation failed.</summary>
    public Task ReportInvocationErrorAsync(string requestId, LambdaError error, CancellationToken cancellationToken) =>
        PostErrorAsync(InvocationUri(requestId, "error"), error, cancellationToken);

    /// <summary>Reports that initialisation failed; Lambda then stops this environment.</summary>
    public Task ReportInitErrorAsync(LambdaError error, CancellationToken cancellationToken) =>
        PostErrorAsync(new Uri(_base, "init/error"), error, cancellationToken);

    private async Task PostErrorAsync(Uri uri, LambdaError error, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(error, RuntimeJsonContext.Default.LambdaError));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        request.Headers.TryAddWithoutValidation(ErrorTypeHeader, error.ErrorType);
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureAcceptedAsync(response, "error report", cancellationToken);
    }

    private Uri InvocationUri(string requestId, string action) => new(_base, "invocation/" + Uri.EscapeDataString(requestId) + "/" + action);

    private static async Task EnsureAcceptedAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            throw new RuntimeApiException($"The Runtime API refused the {what}: {(int)response.StatusCode} {body}", (int)response.StatusCode);
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
