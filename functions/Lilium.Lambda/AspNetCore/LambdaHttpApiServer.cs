using Lilium.Lambda.Runtime;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;

namespace Lilium.Lambda.AspNetCore;

/// <summary>
/// An ASP.NET Core server whose "connections" are Lambda invocations: on start it runs the Runtime API
/// loop, each HTTP API 2.0 event becoming one request through the application's normal pipeline.
/// If the loop ends on its own (the Runtime API went away), the application is stopped.
/// </summary>
internal sealed class LambdaHttpApiServer(LambdaRuntime runtime, IHostApplicationLifetime lifetime) : IServer
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        var handler = new HttpApiV2Handler<TContext>(application, runtime.Log);
        _loop = Task.Run(() => RunAsync(handler), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(ILambdaHandler handler)
    {
        try
        {
            await runtime.RunLoopAsync(handler, _stopping.Token);
        }
        catch (Exception e) when (!_stopping.IsCancellationRequested)
        {
            runtime.Log.Error("The Runtime API loop failed; stopping", e);
            lifetime.StopApplication();
        }
    }
}
