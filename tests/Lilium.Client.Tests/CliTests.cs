using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// The <c>lilium</c> CLI as a person uses it: two profiles, identity, registration, friends, chat. Run twice: through
/// the JIT build (<see cref="CliTests"/>, <c>dotnet lilium.dll</c>) and through the Native AOT executable users
/// download (<see cref="NativeCliTests"/>, <c>artifacts/cli/lilium</c>).
/// </summary>
public abstract class CliFlowTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lilium-cli-").FullName;

    /// <summary>The program to start and the arguments before the command's own (the .dll for the JIT build).</summary>
    protected abstract (string FileName, string[] Prefix) Command { get; }

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
        var result = await Run(["register", "solo", "--home", Path.Combine(_root, "solo")],
            new Dictionary<string, string?> { ["LILIUM_API_URL"] = $"http://127.0.0.1:{Ports.FreeTcp()}/", ["NO_COLOR"] = "1", ["COLUMNS"] = "400" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unreachable", result.StdOut);
    }

    [Fact]
    public async Task A_command_line_that_does_not_parse_is_a_usage_error()
    {
        var environment = new Dictionary<string, string?> { ["NO_COLOR"] = "1", ["COLUMNS"] = "400" };
        var missing = await Run(["friends", "add", "--home", Path.Combine(_root, "usage")], environment);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Required argument 'user' missing", missing.StdErr + missing.StdOut);
        var unknown = await Run(["--no-such-option"], environment);
        Assert.Equal(2, unknown.ExitCode);
    }

    protected Task<ProcessResult> Run(string[] args, IReadOnlyDictionary<string, string?> environment)
    {
        var (fileName, prefix) = Command;
        return ProcessRunner.RunAsync(fileName, [.. prefix, .. args], TimeSpan.FromSeconds(60), environment: environment);
    }

    private Task<ProcessResult> Lilium(string profile, params string[] args) => Lilium(profile, args, expectSuccess: true);

    private async Task<ProcessResult> Lilium(string profile, string[] args, bool expectSuccess)
    {
        var result = await Run([.. args, "--home", Path.Combine(_root, profile)],
            new Dictionary<string, string?>
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

    public void Dispose()
    {
        Directory.Delete(_root, recursive: true);
        GC.SuppressFinalize(this);
    }
}

/// <summary>The CLI's JIT build, as <c>dotnet lilium.dll</c> (built with this test project).</summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Integration")]
public sealed class CliTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : CliFlowTests(stack, output), IClassFixture<LocalStack>
{
    protected override (string FileName, string[] Prefix) Command => ("dotnet", [Dll()]);

    private static string Dll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        return Path.Combine(RepoPaths.Root, "client-sdk", "Lilium.Cli", "bin", configuration, "net10.0", "lilium.dll");
    }
}

/// <summary>
/// The Native AOT executable (<c>make cli</c> → <c>artifacts/cli/lilium</c>) through the same flow, plus what makes
/// it worth shipping: it starts with no .NET runtime to be found.
/// </summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Integration")]
public sealed class NativeCliTests(LocalStack stack, PublishedCli cli, Xunit.Abstractions.ITestOutputHelper output)
    : CliFlowTests(stack, output), IClassFixture<LocalStack>, IClassFixture<PublishedCli>
{
    protected override (string FileName, string[] Prefix) Command => (cli.Path, []);

    [Fact]
    public async Task The_executable_needs_no_dotnet_runtime()
    {
        // One file: no managed assembly and no runtime library beside it.
        var dir = Path.GetDirectoryName(cli.Path)!;
        Assert.Empty(Directory.GetFiles(dir, "*.dll"));
        Assert.False(File.Exists(Path.Combine(dir, "libcoreclr.so")), "a libcoreclr.so beside lilium: not a Native AOT build");
        var header = new byte[4];
        await using (var file = File.OpenRead(cli.Path))
        {
            await file.ReadExactlyAsync(header);
        }

        Assert.Equal("\u007fELF"u8.ToArray(), header);

        // No dotnet on PATH and no DOTNET_ROOT: a JIT app's host would stop with "You must install .NET".
        var home = Directory.CreateTempSubdirectory("lilium-native-").FullName;
        try
        {
            var environment = new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin", ["DOTNET_ROOT"] = null, ["NO_COLOR"] = "1", ["COLUMNS"] = "400" };
            var help = await Run(["--help"], environment);
            Assert.True(help.ExitCode == 0, $"lilium --help exited {help.ExitCode}: {help.StdOut}{help.StdErr}");
            Assert.Contains("register", help.StdOut);
            Assert.Contains("friends", help.StdOut);

            var id = await Run(["id", "new", "--home", home], environment);
            Assert.True(id.ExitCode == 0, $"lilium id new exited {id.ExitCode}: {id.StdOut}{id.StdErr}");
            Assert.Contains("fingerprint", id.StdOut);
            Assert.True(File.Exists(Path.Combine(home, "identity.pem")));

        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }
}
