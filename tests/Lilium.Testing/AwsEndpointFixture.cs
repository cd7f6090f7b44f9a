namespace Lilium.Testing;

/// <summary>
/// The LocalStack-compatible AWS endpoint: LOCALSTACK_ENDPOINT (default http://localhost:4566).
/// If nothing answers there, scripts/aws-endpoint.sh starts moto_server on it.
/// Credentials are dummy values; moto and LocalStack accept any.
/// </summary>
public sealed class AwsEndpointFixture : IAsyncLifetime
{
    public const string Region = "us-east-1";
    public const string AccessKeyId = "test";
    public const string SecretAccessKey = "test";

    public Uri Endpoint { get; private set; } = new("http://localhost:4566");

    public async Task InitializeAsync()
    {
        var result = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Scripts, "aws-endpoint.sh"), "ensure"], TimeSpan.FromMinutes(2));
        Endpoint = new Uri(result.EnsureSuccess("scripts/aws-endpoint.sh ensure").StdOut.Trim().Split('\n')[^1]);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Environment variables that point an AWS client (ours or the CLI) at this endpoint.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["AWS_ENDPOINT_URL"] = Endpoint.ToString().TrimEnd('/'),
        ["AWS_REGION"] = Region,
        ["AWS_DEFAULT_REGION"] = Region,
        ["AWS_ACCESS_KEY_ID"] = AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = SecretAccessKey,
    };
}
