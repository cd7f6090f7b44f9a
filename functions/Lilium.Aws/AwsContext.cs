using Lilium.Aws.Credentials;
using Lilium.Aws.Protocol;
using Lilium.Aws.Signing;

namespace Lilium.Aws;

/// <summary>
/// What every client shares: the HTTP client, settings (region, endpoints), credentials, the signer
/// and the clock. Build one per process with <see cref="FromEnvironment"/> and hand it to the clients.
/// </summary>
public sealed class AwsContext
{
    public AwsContext(HttpClient http, AwsSettings settings, IAwsCredentialsProvider credentials, TimeProvider? time = null)
    {
        Http = http;
        Settings = settings;
        Credentials = credentials;
        Time = time ?? TimeProvider.System;
        Transport = new AwsTransport(this);
    }

    public HttpClient Http { get; }

    public AwsSettings Settings { get; }

    public IAwsCredentialsProvider Credentials { get; }

    public TimeProvider Time { get; }

    public SigV4Signer Signer { get; } = new();

    internal AwsTransport Transport { get; }

    /// <summary>The process environment and AWSSDK.Core's default credential chain.</summary>
    public static AwsContext FromEnvironment(HttpClient? http = null) =>
        new(http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, AwsSettings.FromEnvironment(), new SdkCredentialsProvider());
}
