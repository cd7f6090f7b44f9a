namespace Lilium.Lambda.Runtime;

/// <summary>The Runtime API answered a post with an error (e.g. 413 for a response over 6 MB).</summary>
public sealed class RuntimeApiException(string message, int statusCode) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
