using Lilium.Lambda.Runtime;
using Lilium.Testing;

namespace Lilium.Lambda.Tests;

/// <summary>
/// <see cref="LambdaRuntime.AfterInvocation"/> (the telemetry flush) runs after the response is posted — the caller
/// does not wait for it — and before the next event is fetched, for failed invocations too.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AfterInvocationTests
{
    [Fact]
    public async Task Runs_after_the_response_and_before_the_next_poll()
    {
        await using var emulator = await LambdaRuntimeEmulator.StartAsync();
        using var gate = new SemaphoreSlim(0);
        var calls = 0;
        var runtime = new LambdaRuntime(new RuntimeApiClient(emulator.RuntimeApi), new LambdaLog(Stream.Null))
        {
            AfterInvocation = () =>
            {
                Interlocked.Increment(ref calls);
                gate.Wait(TimeSpan.FromSeconds(10));
            },
        };
        var handler = LambdaHandler.FromDelegate((invocation, _) => invocation.Payload.Span.SequenceEqual("throw"u8)
            ? throw new InvalidOperationException("failed")
            : Task.FromResult<ReadOnlyMemory<byte>>(invocation.Payload.ToArray()));
        using var stop = new CancellationTokenSource();
        var loop = Task.Run(() => runtime.RunLoopAsync(handler, stop.Token));

        var first = await emulator.InvokeAsync("one").WaitAsync(TimeSpan.FromSeconds(10)); // answered while the step is blocked
        Assert.Equal("one", first.Text);
        await WaitUntilAsync(() => Volatile.Read(ref calls) == 1);
        var polls = emulator.Polls;
        await Task.Delay(300);
        Assert.Equal(polls, emulator.Polls); // the loop waits for the step before it asks for the next event

        gate.Release();
        var failed = await emulator.InvokeAsync("throw").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(failed.IsError);
        await WaitUntilAsync(() => Volatile.Read(ref calls) == 2);
        gate.Release();

        await stop.CancelAsync();
        await loop.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
