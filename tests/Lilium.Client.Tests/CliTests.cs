using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// The <c>lilium</c> CLI as a person uses it: two profiles, identity, registration, friends, chat. Run twice: through
/// the JIT build (<see cref="CliTests"/>, <c>dotnet lilium.dll</c>) and through the Native AOT executable users
/// download (<see cref="NativeCliTests"/>, <c>artifacts/cli/lilium</c>).
/// </summary>
public abstract class CliFlowTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private LiliumCli? _cli;

    /// <summary>The program to start and the arguments before the command's own (the .dll for the JIT build).</summary>
    protected abstract (string FileName, string[] Prefix) Command { get; }

    protected LiliumCli Cli => _cli ??= new LiliumCli(stack.ApiUrl, stack.WebSocketUrl, relay: null, output.WriteLine, Command);

    [Fact]
    public async Task Two_profiles_register_befriend_and_chat_through_the_cli()
    {
        var suffix = Random.Shared.Next(1000, 9999);
        var (ann, ben) = ($"ann{suffix}", $"ben{suffix}");

        Assert.Contains("fingerprint", (await Cli.RunAsync("ann", "id", "new")).StdOut);
        await Cli.RunAsync("ben", "id", "new");
        var again = await Cli.TryRunAsync("ann", ["id", "new"]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.StdOut);

        Assert.Contains("registered", (await Cli.RunAsync("ann", "register", ann)).StdOut);
        await Cli.RunAsync("ben", "register", ben);
        Assert.Contains("pending", (await Cli.RunAsync("ann", "friends", "add", ben)).StdOut);
        Assert.Contains("accepted", (await Cli.RunAsync("ben", "friends", "accept", ann)).StdOut);
        Assert.Contains(ben, (await Cli.RunAsync("ann", "friends", "list")).StdOut);

        // Ben listens while Ann sends; Ann's message arrives decrypted at Ben's CLI.
        var listening = Cli.RunAsync("ben", "chat", ann, "--message", "hi ann", "--wait", "8");
        await Task.Delay(3000);
        var sent = await Cli.RunAsync("ann", "chat", ben, "--message", "hello from ann", "--wait", "1");
        Assert.Contains("delivered to 1 device", sent.StdOut);
        var heard = await listening;
        Assert.Contains("hello from ann", heard.StdOut);

        var unknown = await Cli.TryRunAsync("ann", ["chat", "nobody-at-all", "-m", "x"]);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("not among your friends", unknown.StdOut);
    }

    [Fact]
    public async Task A_wrong_endpoint_is_a_clear_error()
    {
        await Cli.RunAsync("solo", "id", "new");
        var result = await Cli.TryRunAsync("solo", ["register", "solo"], environment: new Dictionary<string, string?> { ["LILIUM_API_URL"] = $"http://127.0.0.1:{Ports.FreeTcp()}/" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unreachable", result.StdOut);
    }

    [Fact]
    public async Task A_command_line_that_does_not_parse_is_a_usage_error()
    {
        var missing = await Cli.TryRunAsync("usage", ["friends", "add"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("Required argument 'user' missing", missing.StdErr + missing.StdOut);
        var unknown = await Cli.TryRunAsync("usage", ["--no-such-option"]);
        Assert.Equal(2, unknown.ExitCode);
    }

    public void Dispose()
    {
        _cli?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>The CLI's JIT build, as <c>dotnet lilium.dll</c> (built with this test project).</summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Integration")]
public sealed class CliTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : CliFlowTests(stack, output), IClassFixture<LocalStack>
{
    protected override (string FileName, string[] Prefix) Command => ("dotnet", [LiliumCli.DllPath]);
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
        var environment = new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin", ["DOTNET_ROOT"] = null };
        var help = await Cli.TryRunAsync("bare", ["--help"], environment: environment);
        Assert.True(help.ExitCode == 0, $"lilium --help exited {help.ExitCode}: {help.StdOut}{help.StdErr}");
        Assert.Contains("register", help.StdOut);
        Assert.Contains("friends", help.StdOut);

        var id = await Cli.TryRunAsync("bare", ["id", "new"], environment: environment);
        Assert.True(id.ExitCode == 0, $"lilium id new exited {id.ExitCode}: {id.StdOut}{id.StdErr}");
        Assert.Contains("fingerprint", id.StdOut);
        Assert.True(File.Exists(Path.Combine(Cli.Home("bare"), "identity.pem")));
    }
}
