using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lilium.Testing;

/// <summary>
/// The Lambda Runtime API on a loopback port (Kestrel), for running a real function process in tests:
/// start a process with <see cref="Environment"/>, then <see cref="InvokeAsync(ReadOnlyMemory{byte}, LambdaInvokeOptions?, CancellationToken)"/>
/// queues an event, serves it on <c>GET /2018-06-01/runtime/invocation/next</c> with the
/// <c>Lambda-Runtime-*</c> headers, and completes with what the function posts to
/// <c>/invocation/{id}/response</c> or <c>/error</c>. <c>/init/error</c> completes <see cref="InitError"/>.
/// </summary>
public sealed class LambdaRuntimeEmulator : IAsyncDisposable
{
    private const string Prefix = "/2018-06-01/runtime";

    private readonly WebApplication _app;
    private readonly Channel<PendingInvocation> _queue = Channel.CreateUnbounded<PendingInvocation>();
    private readonly ConcurrentDictionary<string, PendingInvocation> _inFlight = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<LambdaErrorReport> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstPoll = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _polls;

    private LambdaRuntimeEmulator(WebApplication app) => _app = app;

    /// <summary><c>host:port</c>, the value of <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string RuntimeApi { get; private set; } = "";

    /// <summary>Variables for a function process, as Lambda sets them (plus the runtime API address).</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["AWS_LAMBDA_RUNTIME_API"] = RuntimeApi,
        ["AWS_LAMBDA_FUNCTION_NAME"] = "lilium-test",
        ["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST",
        ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "512",
        ["AWS_REGION"] = "us-east-1",
        ["AWS_DEFAULT_REGION"] = "us-east-1",
    };

    /// <summary>Completes when the function reports an initialisation failure.</summary>
    public Task<LambdaErrorReport> InitError => _initError.Task;

    /// <summary>Completes at the function's first <c>GET …/invocation/next</c> (it finished initialising).</summary>
    public Task FirstPoll => _firstPoll.Task;

    /// <summary>How many times the function asked for the next event.</summary>
    public int Polls => Volatile.Read(ref _polls);

    public static async Task<LambdaRuntimeEmulator> StartAsync()
    {
        var app = LoopbackWebApp.Create();
        var emulator = new LambdaRuntimeEmulator(app);
        app.MapGet(Prefix + "/invocation/next", emulator.NextAsync);
        app.MapPost(Prefix + "/invocation/{requestId}/response", (string requestId, HttpContext context) => emulator.CompleteAsync(requestId, context, isError: false));
        app.MapPost(Prefix + "/invocation/{requestId}/error", (string requestId, HttpContext context) => emulator.CompleteAsync(requestId, context, isError: true));
        app.MapPost(Prefix + "/init/error", emulator.InitErrorAsync);
        await app.StartAsync();
        emulator.RuntimeApi = new Uri(app.Urls.First()).Authority;
        return emulator;
    }

    /// <summary>Queues an event and waits for the function's response or error.</summary>
    public async Task<LambdaInvocationResult> InvokeAsync(ReadOnlyMemory<byte> payload, LambdaInvokeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LambdaInvokeOptions();
        var pending = new PendingInvocation(options.RequestId ?? Guid.NewGuid().ToString(), payload.ToArray(), options);
        _inFlight[pending.RequestId] = pending;
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.WaitTimeout);
        try
        {
            return await pending.Result.Task.WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The function did not answer invocation {pending.RequestId} within {options.WaitTimeout}.");
        }
    }

    /// <summary>Queues a JSON (or any UTF-8 text) event.</summary>
    public Task<LambdaInvocationResult> InvokeAsync(string payload, LambdaInvokeOptions? options = null, CancellationToken cancellationToken = default) =>
        InvokeAsync(Encoding.UTF8.GetBytes(payload), options, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    private async Task NextAsync(HttpContext context)
    {
        Interlocked.Increment(ref _polls);
        _firstPoll.TrySetResult();
        PendingInvocation pending;
        try
        {
            pending = await _queue.Reader.ReadAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var deadline = DateTimeOffset.UtcNow + pending.Options.Timeout;
        var headers = context.Response.Headers;
        headers["Lambda-Runtime-Aws-Request-Id"] = pending.RequestId;
        headers["Lambda-Runtime-Deadline-Ms"] = deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        headers["Lambda-Runtime-Invoked-Function-Arn"] = pending.Options.FunctionArn;
        if (pending.Options.TraceId is { } trace)
        {
            headers["Lambda-Runtime-Trace-Id"] = trace;
        }

        context.Response.ContentType = "application/json";
        pending.Deadline = deadline;
        await context.Response.Body.WriteAsync(pending.Payload);
    }

    private async Task<IResult> CompleteAsync(string requestId, HttpContext context, bool isError)
    {
        var body = await ReadAsync(context);
        if (!_inFlight.TryRemove(requestId, out var pending))
        {
            return Results.Json(new { errorMessage = "Unknown request id " + requestId, errorType = "InvalidRequestID" }, statusCode: 400);
        }

        pending.Result.TrySetResult(new LambdaInvocationResult(
            requestId,
            isError,
            body,
            context.Request.Headers["Lambda-Runtime-Function-Error-Type"].ToString() is { Length: > 0 } t ? t : null,
            pending.Deadline));
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    private async Task InitErrorAsync(HttpContext context)
    {
        var body = await ReadAsync(context);
        _initError.TrySetResult(new LambdaErrorReport(body, context.Request.Headers["Lambda-Runtime-Function-Error-Type"].ToString()));
        context.Response.StatusCode = StatusCodes.Status202Accepted;
    }

    private static async Task<byte[]> ReadAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        return buffer.ToArray();
    }

    private sealed class PendingInvocation(string requestId, byte[] payload, LambdaInvokeOptions options)
    {
        public string RequestId { get; } = requestId;

        public byte[] Payload { get; } = payload;

        public LambdaInvokeOptions Options { get; } = options;

        public DateTimeOffset Deadline { get; set; }

        public TaskCompletionSource<LambdaInvocationResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>How an emulated invocation is presented to the function.</summary>
public sealed record LambdaInvokeOptions
{
    /// <summary>The function's timeout: the deadline header is now + this when the event is handed out.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="LambdaRuntimeEmulator.InvokeAsync(ReadOnlyMemory{byte}, LambdaInvokeOptions?, CancellationToken)"/> waits for an answer.</summary>
    public TimeSpan WaitTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public string? RequestId { get; init; }

    public string? TraceId { get; init; }

    public string FunctionArn { get; init; } = "arn:aws:lambda:us-east-1:000000000000:function:lilium-test";
}

/// <summary>What the function posted for one invocation.</summary>
public sealed record LambdaInvocationResult(string RequestId, bool IsError, byte[] Payload, string? ErrorTypeHeader, DateTimeOffset Deadline)
{
    public string Text => Encoding.UTF8.GetString(Payload);
}

/// <summary>What the function posted to <c>/init/error</c>.</summary>
public sealed record LambdaErrorReport(byte[] Payload, string? ErrorTypeHeader)
{
    public string Text => Encoding.UTF8.GetString(Payload);
}
