namespace Lilium.Aws.Signing;

/// <summary>The signature (lower-case hex) and the <c>Authorization</c> header value it produced.</summary>
public sealed record SigV4Signature(string Signature, string Authorization);
