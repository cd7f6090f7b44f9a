namespace Lilium.Lambda.Runtime;

/// <summary>
/// A function body: the raw event bytes in, the raw response bytes out. Throwing reports the error to
/// Lambda (<c>/invocation/{id}/error</c>); the token is cancelled at the invocation's deadline.
/// </summary>
public interface ILambdaHandler
{
    Task<ReadOnlyMemory<byte>> HandleAsync(LambdaInvocation invocation, CancellationToken cancellationToken);
}
