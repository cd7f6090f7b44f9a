namespace Lilium.Aws.Signing;

/// <summary>The credential scope of a signature: region and signing service name (e.g. <c>execute-api</c>).</summary>
public sealed record SigningScope(string Region, string Service);
