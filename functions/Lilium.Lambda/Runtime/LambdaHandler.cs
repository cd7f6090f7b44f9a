using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Lilium.Lambda.Runtime;

/// <summary>Builders for <see cref="ILambdaHandler"/> from delegates, raw or typed (source-generated JSON).</summary>
public static class LambdaHandler
{
    /// <summary>A handler over raw bytes.</summary>
    public static ILambdaHandler FromDelegate(Func<LambdaInvocation, CancellationToken, Task<ReadOnlyMemory<byte>>> handle) => new DelegateHandler(handle);

    /// <summary>
    /// A typed handler: the event is deserialised with <paramref name="eventType"/> and the result
    /// serialised with <paramref name="responseType"/>. A payload that does not parse is reported to
    /// Lambda as an error of type <c>JsonException</c>, the handler is not called.
    /// </summary>
    public static ILambdaHandler FromJson<TEvent, TResponse>(
        Func<TEvent, LambdaInvocation, CancellationToken, Task<TResponse>> handle,
        JsonTypeInfo<TEvent> eventType,
        JsonTypeInfo<TResponse> responseType) =>
        new DelegateHandler(async (invocation, ct) =>
        {
            var e = JsonSerializer.Deserialize(invocation.Payload.Span, eventType)
                ?? throw new JsonException("The event is JSON null.");
            var response = await handle(e, invocation, ct);
            return JsonSerializer.SerializeToUtf8Bytes(response, responseType);
        });

    private sealed class DelegateHandler(Func<LambdaInvocation, CancellationToken, Task<ReadOnlyMemory<byte>>> handle) : ILambdaHandler
    {
        public Task<ReadOnlyMemory<byte>> HandleAsync(LambdaInvocation invocation, CancellationToken cancellationToken) => handle(invocation, cancellationToken);
    }
}
