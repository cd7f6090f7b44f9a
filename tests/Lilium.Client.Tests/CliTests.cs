using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>The <c>lilium</c> CLI as a person uses it: two profiles, identity, registration, friends, chat.</summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Integration")]
public sealed class CliTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LocalStack>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lilium-cli-").FullName;

    [Fact]
    public async Task Two_profiles_register_befriend_and_chat_through_the_cli()
    {
        var suffix = Random.Shared.Next(1000, 9999);
        var (ann, ben) = ($"ann{suffix}", $"ben{suffix}");

        Assert.Contains("fingerprint", (await Lilium("ann", "id", "new")).StdOut);
        await Lilium("ben", "id", "new");
        var again = await Lilium("ann", ["id", "new"], expectSuccess: false);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.StdOut);

        Assert.Contains("registered", (await Lilium("ann", "register", ann)).StdOut);
        await Lilium("ben", "register", ben);
        Assert.Contains("pending", (await Lilium("ann", "friends", "add", ben)).StdOut);
        Assert.Contains("accepted", (await Lilium("ben", "friends", "accept", ann)).StdOut);
        Assert.Contains(ben, (await Lilium("ann", "friends", "list")).StdOut);

        // Ben listens while Ann sends; Ann's message arrives decrypted at Ben's CLI.
        var listening = Lilium("ben", "chat", ann, "--message", "hi ann", "--wait", "8");
        await Task.Delay(3000);
        var sent = await Lilium("ann", "chat", ben, "--message", "hello from ann", "--wait", "1");
        Assert.Contains("delivered to 1 device", sent.StdOut);
        var heard = await listening;
        Assert.Contains("hello from ann", heard.StdOut);

        var unknown = await Lilium("ann", ["chat", "nobody-at-all", "-m", "x"], expectSuccess: false);
        Assert.Contains("not among your friends", unknown.StdOut);
    }

    [Fact]
    public async Task A_wrong_endpoint_is_a_clear_error()
    {
        await Lilium("solo", "id", "new");
        var result = await ProcessRunner.RunAsync("dotnet", [Cli(), "register", "solo", "--home", Path.Combine(_root, "solo")], TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string?> { ["LILIUM_API_URL"] = $"http://127.0.0.1:{Ports.FreeTcp()}/", ["NO_COLOR"] = "1", ["COLUMNS"] = "400" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unreachable", result.StdOut);
    }

    private Task<ProcessResult> Lilium(string profile, params string[] args) => Lilium(profile, args, expectSuccess: true);

    private async Task<ProcessResult> Lilium(string profile, string[] args, bool expectSuccess)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [Cli(), .. args, "--home", Path.Combine(_root, profile)], TimeSpan.FromSeconds(60),
            environment: new Dictionary<string, string?>
            {
                ["LILIUM_API_URL"] = stack.ApiUrl.ToString(),
                ["LILIUM_WS_URL"] = stack.WebSocketUrl.ToString(),
                ["NO_COLOR"] = "1",
                ["COLUMNS"] = "400",
            });
        output.WriteLine($"$ lilium {string.Join(' ', args)}  [{profile}]\n{result.StdOut}{result.StdErr}");
        if (expectSuccess)
        {
            Assert.True(result.ExitCode == 0, $"lilium {string.Join(' ', args)} exited {result.ExitCode}: {result.StdOut}{result.StdErr}");
        }

        return result;
    }

    private static string Cli()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(RepoPaths.Root, "client-sdk", "Lilium.Cli", "bin", configuration, "net10.0", "lilium.dll");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
