namespace Lilium.Lambda.Runtime;

/// <summary>
/// The custom-runtime loop for <c>provided.al2023</c>: initialise once (reporting a failure to
/// <c>/init/error</c>), then forever take the next event, run the handler with a token cancelled at the
/// event's deadline, and post its response or error. <c>Lambda-Runtime-Trace-Id</c> is copied to
/// <c>_X_AMZN_TRACE_ID</c> for the invocation.
/// </summary>
public sealed class LambdaRuntime(RuntimeApiClient client, LambdaLog log, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public LambdaLog Log => log;

    /// <summary>
    /// Runs after each invocation's response or error is posted, before the next event is fetched: e.g. the telemetry
    /// flush (<see cref="Observability.TelemetryFlush"/>), which must not wait until Lambda thaws the process again.
    /// </summary>
    public Action? AfterInvocation { get; init; }

    /// <summary>
    /// The runtime of this process, from <c>AWS_LAMBDA_RUNTIME_API</c>, logging to stdout.
    /// Typical <c>Main</c>: <c>return await LambdaRuntime.FromEnvironment().RunAsync(InitAsync, default);</c>
    /// </summary>
    public static LambdaRuntime FromEnvironment(Action? afterInvocation = null)
    {
        var api = LambdaEnvironment.RuntimeApi
            ?? throw new InvalidOperationException($"{LambdaEnvironment.RuntimeApiVariable} is not set: this process is not running on Lambda.");
        return new LambdaRuntime(new RuntimeApiClient(api), LambdaLog.ToStdout()) { AfterInvocation = afterInvocation };
    }

    /// <summary>
    /// Initialises and loops. Returns the process exit code: 1 when initialisation failed (after
    /// reporting it to <c>/init/error</c>), else 0 once <paramref name="stop"/> is cancelled.
    /// </summary>
    public async Task<int> RunAsync(Func<CancellationToken, Task<ILambdaHandler>> initialize, CancellationToken stop)
    {
        ILambdaHandler handler;
        try
        {
            handler = await initialize(stop);
        }
        catch (Exception e) when (!stop.IsCancellationRequested)
        {
            await ReportInitErrorAsync(e, stop);
            return 1;
        }

        await RunLoopAsync(handler, stop);
        return 0;
    }

    /// <summary>Reports an initialisation failure that happened outside <see cref="RunAsync"/>.</summary>
    public async Task ReportInitErrorAsync(Exception e, CancellationToken cancellationToken)
    {
        log.Error("Initialisation failed", e);
        await client.ReportInitErrorAsync(LambdaError.From(e), cancellationToken);
    }

    /// <summary>Takes and handles events until <paramref name="stop"/> is cancelled.</summary>
    public async Task RunLoopAsync(ILambdaHandler handler, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            LambdaInvocation invocation;
            try
            {
                invocation = await client.NextAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }

            await InvokeAsync(handler, invocation, stop);
        }
    }

    private async Task InvokeAsync(ILambdaHandler handler, LambdaInvocation invocation, CancellationToken stop)
    {
        Environment.SetEnvironmentVariable(LambdaEnvironment.TraceIdVariable, invocation.TraceId);
        log.CurrentRequestId = invocation.RequestId;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var remaining = invocation.RemainingTime(_time);
        if (remaining <= TimeSpan.Zero)
        {
            deadline.Cancel();
        }
        else if (remaining < TimeSpan.FromDays(1))
        {
            deadline.CancelAfter(remaining);
        }

        try
        {
            ReadOnlyMemory<byte> response;
            try
            {
                response = await handler.HandleAsync(invocation, deadline.Token);
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                var error = e is OperationCanceledException && deadline.IsCancellationRequested
                    ? new LambdaError("The invocation reached its deadline.", "DeadlineExceeded", null)
                    : LambdaError.From(e);
                log.Error("Invocation failed", e);
                await client.ReportInvocationErrorAsync(invocation.RequestId, error, stop);
                return;
            }

            await client.RespondAsync(invocation.RequestId, response, stop);
        }
        catch (RuntimeApiException e)
        {
            // E.g. a response over the 6 MB limit: report it as the invocation's error and go on.
            log.Error("The Runtime API refused a post", e);
            await TryReportAsync(invocation.RequestId, LambdaError.From(e), stop);
        }
        finally
        {
            log.CurrentRequestId = null;
            RunAfterInvocation();
        }
    }

    private void RunAfterInvocation()
    {
        try
        {
            AfterInvocation?.Invoke();
        }
        catch (Exception e)
        {
            log.Error("The after-invocation step failed", e);
        }
    }

    private async Task TryReportAsync(string requestId, LambdaError error, CancellationToken stop)
    {
        try
        {
            await client.ReportInvocationErrorAsync(requestId, error, stop);
        }
        catch (RuntimeApiException e)
        {
            log.Error("The Runtime API refused the error report too", e);
        }
    }
}
