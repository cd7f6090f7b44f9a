using Lilium.Testing;

namespace Lilium.Lambda.Tests;

/// <summary>One ASP.NET Core function process (UseLambdaHttpApi) and its emulator, shared by a test class.</summary>
public sealed class AspNetFunctionFixture : IAsyncLifetime
{
    public LambdaRuntimeEmulator Emulator { get; private set; } = null!;

    public LambdaFunctionProcess Function { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Emulator = await LambdaRuntimeEmulator.StartAsync();
        Function = LambdaFunctionProcess.Start(Emulator, "dotnet", TestFunctionPath.Args("aspnet"));
    }

    public async Task DisposeAsync()
    {
        await Function.DisposeAsync();
        await Emulator.DisposeAsync();
    }

    internal async Task<HttpApiResponse> SendAsync(string @event)
    {
        var result = await Emulator.InvokeAsync(@event);
        Assert.False(result.IsError, result.Text + "\n" + Function.Output);
        return HttpApiEvents.Parse(result.Payload);
    }
}
