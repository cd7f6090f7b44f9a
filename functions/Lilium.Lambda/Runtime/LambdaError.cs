using System.Text.Json.Serialization;

namespace Lilium.Lambda.Runtime;

/// <summary>The body of <c>/invocation/{id}/error</c> and <c>/init/error</c>.</summary>
public sealed record LambdaError(
    [property: JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: JsonPropertyName("errorType")] string ErrorType,
    [property: JsonPropertyName("stackTrace")] IReadOnlyList<string>? StackTrace)
{
    public static LambdaError From(Exception e) => new(
        e.Message,
        e.GetType().Name,
        e.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
