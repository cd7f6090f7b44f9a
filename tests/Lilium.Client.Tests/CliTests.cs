using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>The <c>lilium</c> CLI as a person uses it: two profiles, identity, registration, friends, chat.</summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Integration")]
public sealed class CliTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LocalStack>, IDisposable
{
    private readonly LiliumCli _cli = new(stack.ApiUrl, stack.WebSocketUrl, relay: null, output.WriteLine);

    [Fact]
    public async Task Two_profiles_register_befriend_and_chat_through_the_cli()
    {
        var suffix = Random.Shared.Next(1000, 9999);
        var (ann, ben) = ($"ann{suffix}", $"ben{suffix}");

        Assert.Contains("fingerprint", (await _cli.RunAsync("ann", "id", "new")).StdOut);
        await _cli.RunAsync("ben", "id", "new");
        var again = await _cli.TryRunAsync("ann", ["id", "new"]);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.StdOut);

        Assert.Contains("registered", (await _cli.RunAsync("ann", "register", ann)).StdOut);
        await _cli.RunAsync("ben", "register", ben);
        Assert.Contains("pending", (await _cli.RunAsync("ann", "friends", "add", ben)).StdOut);
        Assert.Contains("accepted", (await _cli.RunAsync("ben", "friends", "accept", ann)).StdOut);
        Assert.Contains(ben, (await _cli.RunAsync("ann", "friends", "list")).StdOut);

        // Ben listens while Ann sends; Ann's message arrives decrypted at Ben's CLI.
        var listening = _cli.RunAsync("ben", "chat", ann, "--message", "hi ann", "--wait", "8");
        await Task.Delay(3000);
        var sent = await _cli.RunAsync("ann", "chat", ben, "--message", "hello from ann", "--wait", "1");
        Assert.Contains("delivered to 1 device", sent.StdOut);
        var heard = await listening;
        Assert.Contains("hello from ann", heard.StdOut);

        var unknown = await _cli.TryRunAsync("ann", ["chat", "nobody-at-all", "-m", "x"]);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("not among your friends", unknown.StdOut);
    }

    [Fact]
    public async Task A_wrong_endpoint_is_a_clear_error()
    {
        await _cli.RunAsync("solo", "id", "new");
        var result = await _cli.TryRunAsync("solo", ["register", "solo"], environment: new Dictionary<string, string?> { ["LILIUM_API_URL"] = $"http://127.0.0.1:{Ports.FreeTcp()}/" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unreachable", result.StdOut);
    }

    public void Dispose() => _cli.Dispose();
}
