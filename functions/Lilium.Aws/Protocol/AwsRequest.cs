using Lilium.Aws.Signing;

namespace Lilium.Aws.Protocol;

/// <summary>One call to a service, before signing. <paramref name="Uri"/> carries a singly encoded path.</summary>
internal sealed record AwsRequest(
    AwsService Service,
    SigningScope Scope,
    HttpMethod Method,
    Uri Uri,
    ReadOnlyMemory<byte> Body,
    string? ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers);
