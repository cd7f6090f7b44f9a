using Lilium.Client.Media;
using Lilium.Protocol;

namespace Lilium.Client.Injection;

/// <summary>
/// Applies what the relay forwards to the host (already checked against each viewer's grant) to an
/// <see cref="IInputInjector"/>, and releases a viewer's held keys and buttons when the viewer
/// leaves, when the host revokes its grant (<see cref="OnGrantChanged"/>) and when it stops.
/// </summary>
public sealed class RemoteInputApplier : IAsyncDisposable
{
    private readonly IMediaPublisher _publisher;
    private readonly IInputInjector _injector;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _applied;

    /// <summary>Starts applying the publisher's input to the injector.</summary>
    public RemoteInputApplier(IMediaPublisher publisher, IInputInjector injector)
    {
        _publisher = publisher;
        _injector = injector;
        publisher.ViewerLeft += OnViewerLeft;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Events applied so far.</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Call after changing a viewer's grant: a narrowed grant drops whatever it no longer allows (held keys are released).</summary>
    public void OnGrantChanged(Guid viewer, InputPermissions now)
    {
        if (now != (InputPermissions.Keyboard | InputPermissions.Mouse | InputPermissions.Controller | InputPermissions.Immersion))
        {
            _injector.Release(viewer);
        }
    }

    private void OnViewerLeft(ViewerPresence presence) => _injector.Release(presence.Viewer);

    private async Task RunAsync()
    {
        try
        {
            await foreach (var input in _publisher.ReadInputAsync(_stop.Token))
            {
                _injector.Apply(input.Viewer, input.Event);
                Interlocked.Increment(ref _applied);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Stops applying and releases everything still held.</summary>
    public async ValueTask DisposeAsync()
    {
        _publisher.ViewerLeft -= OnViewerLeft;
        await _stop.CancelAsync();
        await _loop;
        _injector.ReleaseAll();
        _stop.Dispose();
    }
}
