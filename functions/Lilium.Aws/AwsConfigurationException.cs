namespace Lilium.Aws;

/// <summary>The environment does not say enough to call AWS (no region, no credentials, a malformed endpoint URL).</summary>
public sealed class AwsConfigurationException : Exception
{
    public AwsConfigurationException(string message)
        : base(message)
    {
    }

    public AwsConfigurationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
