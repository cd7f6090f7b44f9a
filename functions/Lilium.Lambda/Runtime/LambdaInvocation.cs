namespace Lilium.Lambda.Runtime;

/// <summary>
/// One event from <c>GET /2018-06-01/runtime/invocation/next</c>: the payload and the
/// <c>Lambda-Runtime-*</c> headers that came with it.
/// </summary>
public sealed record LambdaInvocation(
    string RequestId,
    DateTimeOffset Deadline,
    string? InvokedFunctionArn,
    string? TraceId,
    ReadOnlyMemory<byte> Payload)
{
    /// <summary>Time left before Lambda stops the invocation.</summary>
    public TimeSpan RemainingTime(TimeProvider time) => Deadline - time.GetUtcNow();
}
