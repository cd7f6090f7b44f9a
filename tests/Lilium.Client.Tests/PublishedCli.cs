using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// The Native AOT <c>lilium</c> executable: <c>make cli</c> → <c>artifacts/cli/lilium</c> (<c>LILIUM_CLI_ARTIFACTS</c>
/// points elsewhere). <c>make test</c> publishes it first (an unchanged CLI republishes in seconds; a changed one
/// recompiles natively, about 2–4 minutes on two cores); run alone, the fixture publishes it once when absent.
/// </summary>
public sealed class PublishedCli : IAsyncLifetime
{
    public string Path { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var dir = Environment.GetEnvironmentVariable("LILIUM_CLI_ARTIFACTS") is { Length: > 0 } d
            ? d
            : System.IO.Path.Combine(RepoPaths.Root, "artifacts", "cli");
        Path = System.IO.Path.Combine(dir, "lilium");
        if (!File.Exists(Path))
        {
            var result = await ProcessRunner.RunAsync("bash", [System.IO.Path.Combine(RepoPaths.Scripts, "publish-cli.sh"), dir], TimeSpan.FromMinutes(30));
            result.EnsureSuccess("scripts/publish-cli.sh");
        }

        Assert.True(File.Exists(Path), $"No lilium executable at {Path}: run `make cli`.");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
