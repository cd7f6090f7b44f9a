using System.Diagnostics;
using System.Text.Json;
using Lilium.Testing;

namespace Lilium.Lambda.Tests;

/// <summary>The Runtime API loop, run as a real process against the emulator.</summary>
[Trait("Category", "Integration")]
public sealed class RuntimeLoopTests : IAsyncLifetime
{
    private LambdaRuntimeEmulator _emulator = null!;

    public async Task InitializeAsync() => _emulator = await LambdaRuntimeEmulator.StartAsync();

    public async Task DisposeAsync() => await _emulator.DisposeAsync();

    [Fact]
    public async Task Success_posts_the_response_with_the_invocation_details()
    {
        await using var function = LambdaFunctionProcess.Start(_emulator, "dotnet", TestFunctionPath.Args("raw"));

        var result = await _emulator.InvokeAsync("hello", new LambdaInvokeOptions { RequestId = "req-1", TraceId = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1" });

        Assert.False(result.IsError, result.Text);
        using var json = JsonDocument.Parse(result.Payload);
        var root = json.RootElement;
        Assert.Equal("req-1", root.GetProperty("requestId").GetString());
        Assert.Equal("hello", root.GetProperty("payload").GetString());
        Assert.Equal("arn:aws:lambda:us-east-1:000000000000:function:lilium-test", root.GetProperty("functionArn").GetString());
        Assert.Equal("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", root.GetProperty("traceEnv").GetString());
        Assert.Equal(result.Deadline.ToUnixTimeMilliseconds(), root.GetProperty("deadlineMs").GetInt64());

        var log = function.StdOut.Select(TryParse).FirstOrDefault(l => l?.GetProperty("message").GetString() == "handling hello");
        Assert.True(log.HasValue, function.Output);
        Assert.Equal("req-1", log.Value.GetProperty("requestId").GetString());
        Assert.Equal("INFO", log.Value.GetProperty("level").GetString());
    }

    [Fact]
    public async Task Handler_exception_is_posted_as_an_error_and_the_loop_goes_on()
    {
        await using var function = LambdaFunctionProcess.Start(_emulator, "dotnet", TestFunctionPath.Args("raw"));

        var failed = await _emulator.InvokeAsync("throw");
        var next = await _emulator.InvokeAsync("after");

        Assert.True(failed.IsError);
        using var error = JsonDocument.Parse(failed.Payload);
        Assert.Equal("bad payload", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("ArgumentException", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal("ArgumentException", failed.ErrorTypeHeader);
        Assert.False(next.IsError, next.Text);
        Assert.Contains(function.StdOut, l => TryParse(l) is { } j && j.GetProperty("level").GetString() == "ERROR" && j.GetProperty("requestId").GetString() == failed.RequestId);
    }

    [Fact]
    public async Task Init_failure_is_posted_to_init_error_and_the_process_exits()
    {
        await using var function = LambdaFunctionProcess.Start(_emulator, "dotnet", TestFunctionPath.Args("init-fail"));

        var report = await _emulator.InitError.WaitAsync(TimeSpan.FromSeconds(30));
        var exitCode = await function.WaitForExitAsync(TimeSpan.FromSeconds(30));

        using var error = JsonDocument.Parse(report.Payload);
        Assert.Equal("cannot read configuration", error.RootElement.GetProperty("errorMessage").GetString());
        Assert.Equal("InvalidOperationException", error.RootElement.GetProperty("errorType").GetString());
        Assert.Equal("InvalidOperationException", report.ErrorTypeHeader);
        Assert.Equal(1, exitCode);
        Assert.Equal(0, _emulator.Polls);
    }

    [Fact]
    public async Task Deadline_cancels_the_handler_token()
    {
        await using var function = LambdaFunctionProcess.Start(_emulator, "dotnet", TestFunctionPath.Args("raw"));
        await _emulator.InvokeAsync("warm-up");

        var clock = Stopwatch.StartNew();
        var result = await _emulator.InvokeAsync("wait", new LambdaInvokeOptions { Timeout = TimeSpan.FromMilliseconds(700) });
        clock.Stop();

        Assert.True(result.IsError, result.Text);
        using var error = JsonDocument.Parse(result.Payload);
        Assert.Equal("DeadlineExceeded", error.RootElement.GetProperty("errorType").GetString());
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(600), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Invocations_are_served_one_after_another()
    {
        await using var function = LambdaFunctionProcess.Start(_emulator, "dotnet", TestFunctionPath.Args("raw"));

        var results = new List<LambdaInvocationResult>();
        for (var i = 0; i < 10; i++)
        {
            results.Add(await _emulator.InvokeAsync("n" + i));
        }

        Assert.All(results, r => Assert.False(r.IsError, r.Text));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "n" + i), results.Select(r => JsonDocument.Parse(r.Payload).RootElement.GetProperty("payload").GetString()));
        Assert.Equal(results.Count, results.Select(r => r.RequestId).Distinct().Count());
    }

    private static JsonElement? TryParse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
