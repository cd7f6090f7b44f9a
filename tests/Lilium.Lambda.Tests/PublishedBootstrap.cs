using Lilium.Testing;

namespace Lilium.Lambda.Tests;

/// <summary>
/// The published API bootstrap (<c>make lambdas</c> → <c>artifacts/lambda/api/bootstrap</c>: self-contained,
/// trimmed, ReadyToRun, linux-x64). Published on demand by <c>scripts/publish-lambdas.sh</c> when absent;
/// <c>LILIUM_LAMBDA_ARTIFACTS</c> points elsewhere.
/// </summary>
public sealed class PublishedBootstrap : IAsyncLifetime
{
    public string Path { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var root = Environment.GetEnvironmentVariable("LILIUM_LAMBDA_ARTIFACTS") is { Length: > 0 } dir
            ? dir
            : System.IO.Path.Combine(RepoPaths.Root, "artifacts", "lambda");
        Path = System.IO.Path.Combine(root, "api", "bootstrap");
        if (!File.Exists(Path))
        {
            var result = await ProcessRunner.RunAsync("bash", [System.IO.Path.Combine(RepoPaths.Scripts, "publish-lambdas.sh"), root], TimeSpan.FromMinutes(15));
            result.EnsureSuccess("scripts/publish-lambdas.sh");
        }

        Assert.True(File.Exists(Path), $"No bootstrap at {Path}: run `make lambdas`.");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
