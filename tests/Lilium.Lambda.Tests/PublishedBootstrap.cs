using Lilium.Testing;

namespace Lilium.Lambda.Tests;

/// <summary>
/// The published API bootstrap (<c>make lambdas</c> → <c>artifacts/lambda/api/bootstrap</c>: Native AOT, linux-x64;
/// <c>LAMBDA_BUILD=r2r make lambdas</c> publishes the trimmed ReadyToRun build instead). Published on demand by
/// <c>scripts/publish-lambdas.sh</c> when absent; <c>LILIUM_LAMBDA_ARTIFACTS</c> points elsewhere.
/// </summary>
public sealed class PublishedBootstrap : IAsyncLifetime
{
    public string Path { get; private set; } = "";

    /// <summary>The build the tests expect: <c>aot</c> unless <c>LAMBDA_BUILD=r2r</c>, as for <c>make lambdas</c>.</summary>
    public static string ExpectedBuild => Environment.GetEnvironmentVariable("LAMBDA_BUILD") is { Length: > 0 } b ? b : "aot";

    /// <summary>
    /// True when the bundle is a Native AOT executable: no runtime (<c>libcoreclr.so</c>) and no managed assembly
    /// beside it — the R2R bundle carries both.
    /// </summary>
    public bool IsNativeAot
    {
        get
        {
            var dir = System.IO.Path.GetDirectoryName(Path)!;
            return !File.Exists(System.IO.Path.Combine(dir, "libcoreclr.so"))
                && Directory.GetFiles(dir, "*.dll").Length == 0;
        }
    }

    public async Task InitializeAsync()
    {
        var root = Environment.GetEnvironmentVariable("LILIUM_LAMBDA_ARTIFACTS") is { Length: > 0 } dir
            ? dir
            : System.IO.Path.Combine(RepoPaths.Root, "artifacts", "lambda");
        Path = System.IO.Path.Combine(root, "api", "bootstrap");
        if (!File.Exists(Path))
        {
            var result = await ProcessRunner.RunAsync("bash", [System.IO.Path.Combine(RepoPaths.Scripts, "publish-lambdas.sh"), root], TimeSpan.FromMinutes(30));
            result.EnsureSuccess("scripts/publish-lambdas.sh");
        }

        Assert.True(File.Exists(Path), $"No bootstrap at {Path}: run `make lambdas`.");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}
