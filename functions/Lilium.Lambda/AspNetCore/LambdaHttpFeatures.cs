using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Lilium.Lambda.AspNetCore;

/// <summary>
/// The server side of one request for the ASP.NET Core pipeline, as Kestrel would provide it: request
/// line, headers and body; the buffered response with <c>OnStarting</c>/<c>OnCompleted</c>; connection,
/// identifier, lifetime (aborted at the Lambda deadline) and max-body-size features.
/// </summary>
internal sealed class LambdaHttpFeatures :
    IHttpRequestFeature,
    IHttpResponseFeature,
    IHttpResponseBodyFeature,
    IHttpRequestIdentifierFeature,
    IHttpConnectionFeature,
    IHttpRequestLifetimeFeature,
    IHttpMaxRequestBodySizeFeature,
    IHttpRequestBodyDetectionFeature
{
    /// <summary>Kestrel's default limit; API Gateway itself caps payloads at 10 MB.</summary>
    private const long DefaultMaxRequestBodySize = 30_000_000;

    private readonly List<(Func<object, Task> Callback, object State)> _onStarting = [];
    private readonly List<(Func<object, Task> Callback, object State)> _onCompleted = [];
    private readonly MemoryStream _responseBuffer = new();
    private readonly ResponseStream _responseStream;
    private PipeWriter? _writer;

    public LambdaHttpFeatures(CancellationToken requestAborted)
    {
        RequestAborted = requestAborted;
        _responseStream = new ResponseStream(this);
        Collection = new FeatureCollection();
        Collection.Set<IHttpRequestFeature>(this);
        Collection.Set<IHttpResponseFeature>(this);
        Collection.Set<IHttpResponseBodyFeature>(this);
        Collection.Set<IHttpRequestIdentifierFeature>(this);
        Collection.Set<IHttpConnectionFeature>(this);
        Collection.Set<IHttpRequestLifetimeFeature>(this);
        Collection.Set<IHttpMaxRequestBodySizeFeature>(this);
        Collection.Set<IHttpRequestBodyDetectionFeature>(this);
    }

    public FeatureCollection Collection { get; }

    // IHttpRequestFeature
    public string Protocol { get; set; } = "HTTP/1.1";

    public string Scheme { get; set; } = "https";

    public string Method { get; set; } = "GET";

    public string PathBase { get; set; } = "";

    public string Path { get; set; } = "/";

    public string QueryString { get; set; } = "";

    public string RawTarget { get; set; } = "/";

    IHeaderDictionary IHttpRequestFeature.Headers { get; set; } = new HeaderDictionary();

    Stream IHttpRequestFeature.Body { get; set; } = Stream.Null;

    public IHeaderDictionary RequestHeaders => ((IHttpRequestFeature)this).Headers;

    /// <summary>Sets the request body, enforcing <see cref="MaxRequestBodySize"/> as Kestrel does (413 on read).</summary>
    public void SetRequestBody(byte[] body)
    {
        ((IHttpRequestFeature)this).Body = new LimitedRequestStream(body, this);
        CanHaveBody = body.Length > 0;
    }

    // IHttpResponseFeature
    public int StatusCode { get; set; } = 200;

    public string? ReasonPhrase { get; set; }

    IHeaderDictionary IHttpResponseFeature.Headers { get; set; } = new HeaderDictionary();

    [Obsolete("Use IHttpResponseBodyFeature.Stream.")]
    Stream IHttpResponseFeature.Body { get => _responseStream; set => throw new NotSupportedException("Replace IHttpResponseBodyFeature instead."); }

    public IHeaderDictionary ResponseHeaders => ((IHttpResponseFeature)this).Headers;

    public bool HasStarted { get; private set; }

    public void OnStarting(Func<object, Task> callback, object state) => _onStarting.Add((callback, state));

    public void OnCompleted(Func<object, Task> callback, object state) => _onCompleted.Add((callback, state));

    // IHttpResponseBodyFeature
    public Stream Stream => _responseStream;

    public PipeWriter Writer => _writer ??= PipeWriter.Create(_responseStream, new StreamPipeWriterOptions(leaveOpen: true));

    public void DisableBuffering()
    {
        // The whole response is one Lambda payload: it is buffered by nature.
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (HasStarted)
        {
            return;
        }

        HasStarted = true;
        for (var i = _onStarting.Count - 1; i >= 0; i--)
        {
            await _onStarting[i].Callback(_onStarting[i].State);
        }
    }

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken);
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
        file.Seek(offset, SeekOrigin.Begin);
        if (count is { } n)
        {
            var buffer = new byte[n];
            await file.ReadExactlyAsync(buffer, cancellationToken);
            await _responseBuffer.WriteAsync(buffer, cancellationToken);
        }
        else
        {
            await file.CopyToAsync(_responseBuffer, cancellationToken);
        }
    }

    public async Task CompleteAsync()
    {
        await StartAsync();
        if (_writer is not null)
        {
            await _writer.FlushAsync();
        }
    }

    /// <summary>After the application ran: starts the response if it never wrote, flushes, returns the bytes.</summary>
    public async Task<ReadOnlyMemory<byte>> FinishAsync()
    {
        await CompleteAsync();
        return _responseBuffer.GetBuffer().AsMemory(0, (int)_responseBuffer.Length);
    }

    /// <summary>Drops whatever was written (used when the application failed before starting the response).</summary>
    public void ResetResponse()
    {
        _responseBuffer.SetLength(0);
        ResponseHeaders.Clear();
        ReasonPhrase = null;
    }

    public async Task RunOnCompletedAsync()
    {
        for (var i = _onCompleted.Count - 1; i >= 0; i--)
        {
            await _onCompleted[i].Callback(_onCompleted[i].State);
        }
    }

    // IHttpRequestIdentifierFeature
    public string TraceIdentifier { get; set; } = "";

    // IHttpConnectionFeature
    public string ConnectionId { get; set; } = "";

    public IPAddress? RemoteIpAddress { get; set; }

    public IPAddress? LocalIpAddress { get; set; }

    public int RemotePort { get; set; }

    public int LocalPort { get; set; } = 443;

    // IHttpRequestLifetimeFeature
    public CancellationToken RequestAborted { get; set; }

    public void Abort()
    {
        // Nothing to tear down: the response is returned when the pipeline finishes.
    }

    // IHttpMaxRequestBodySizeFeature
    public bool IsReadOnly => false;

    public long? MaxRequestBodySize { get; set; } = DefaultMaxRequestBodySize;

    // IHttpRequestBodyDetectionFeature
    public bool CanHaveBody { get; private set; }

    /// <summary>Starts the response on the first write, so <c>OnStarting</c> callbacks run first.</summary>
    private sealed class ResponseStream(LambdaHttpFeatures owner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await owner.StartAsync(cancellationToken);
            await owner._responseBuffer.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <summary>The request body, refusing to yield more than <see cref="MaxRequestBodySize"/> bytes.</summary>
    private sealed class LimitedRequestStream(byte[] body, LambdaHttpFeatures owner) : MemoryStream(body, writable: false)
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            Check();
            return base.Read(buffer, offset, count);
        }

        public override int Read(Span<byte> buffer)
        {
            Check();
            return base.Read(buffer);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Check();
            return base.ReadAsync(buffer, offset, count, cancellationToken);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Check();
            return base.ReadAsync(buffer, cancellationToken);
        }

        private void Check()
        {
            if (owner.MaxRequestBodySize is { } max && Length > max)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }
        }
    }
}
