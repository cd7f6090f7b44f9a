using System.Diagnostics;
using Lilium.Client.Api;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Lilium.Client.Signaling;

namespace Lilium.Client.Tests;

/// <summary>A test-pattern host and one viewer through the SDK's self-healing publisher and viewer.</summary>
internal sealed class FleetShare : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<IDisposable> _disposables = [];
    private readonly Action<string> _output;
    private Task _sending = Task.CompletedTask;
    private FfmpegVp8Source? _source;

    private FleetShare(Action<string> output) => _output = output;

    public Guid Session { get; private set; }

    public SessionInfo Created { get; private set; } = null!;

    public Stopwatch SinceCreated { get; } = new();

    public List<string> Progress { get; } = [];

    public RelayPublisher Publisher { get; private set; } = null!;

    public RelayViewer? Viewer { get; private set; }

    private LiliumApiClient? HostApi { get; set; }

    private SignalingClient? HostSignaling { get; set; }

    private SignalingClient? ViewerSignaling { get; set; }

    public static async Task<FleetShare> StartAsync(FleetStack stack, Action<string> output)
    {
        var share = new FleetShare(output);
        try
        {
            await share.StartCoreAsync(stack);
            return share;
        }
        catch
        {
            output(stack.SupervisorLog);
            await share.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(FleetStack stack)
    {
        var (hostApi, hostId) = await UserAsync(stack, "fl-host");
        HostApi = hostApi;
        var (viewerApi, viewerId) = await UserAsync(stack, "fl-view");
        await hostApi.RequestFriendAsync(viewerId);
        await viewerApi.AcceptFriendAsync(hostId);
        HostSignaling = await SignalingClient.ConnectAsync(stack.WebSocketUrl, hostApi.GetAccessTokenAsync);
        ViewerSignaling = await SignalingClient.ConnectAsync(stack.WebSocketUrl, viewerApi.GetAccessTokenAsync);

        SinceCreated.Start();
        Created = await hostApi.CreateSessionAsync();
        Session = Created.Id;
        var http = new HttpClient();
        _disposables.Add(http);
        void Log(string who, string line)
        {
            lock (Progress)
            {
                Progress.Add(line);
            }

            _output($"{SinceCreated.Elapsed.TotalSeconds,6:F1} s {who}: {line}");
        }

        Publisher = await RelayPublisher.ConnectAsync(
            new RelayLinkOptions(hostApi, http, stack.RelayUrl, Session) { Signaling = HostSignaling, Status = line => Log("host", line) });
        _source = FfmpegVp8Source.TestPattern(320, 240, 30);
        var source = _source;
        var publisher = Publisher;
        var stop = _stop.Token;
        _sending = Task.Run(async () =>
        {
            try
            {
                await foreach (var frame in source.ReadFramesAsync(stop))
                {
                    publisher.SendVideoFrame(frame.Data, frame.RtpTimestamp);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        await hostApi.AdmitViewerAsync(Session, viewerId);
        Viewer = await RelayViewer.ConnectAsync(
            new RelayLinkOptions(viewerApi, http, stack.RelayUrl, Session) { Signaling = ViewerSignaling, Status = line => Log("viewer", line) });
    }

    private async Task<(LiliumApiClient Api, Guid Id)> UserAsync(FleetStack stack, string nickname)
    {
        var identity = LiliumIdentity.Create();
        var api = new LiliumApiClient(stack.ApiUrl, identity);
        _disposables.Add(api);
        _disposables.Add(identity);
        var user = await api.RegisterAsync(nickname + Random.Shared.Next(1000, 9999));
        await api.LoginAsync();
        return (api, user.Id);
    }

    /// <summary>Reads frames from a keyframe on until <paramref name="frames"/> decoded; returns the last picture.</summary>
    public async Task<I420Picture> DecodeAsync(TimeSpan timeout, int frames = 5)
    {
        using var decoder = new Vp8Decoder();
        using var deadline = new CancellationTokenSource(timeout);
        var decoded = 0;
        I420Picture? last = null;
        while (decoded < frames)
        {
            var frame = await Viewer!.VideoFrames.ReadAsync(deadline.Token);
            if (last is null && !frame.IsKeyframe)
            {
                continue;
            }

            if (decoder.Decode(frame.Data.Span) is { } picture)
            {
                last = picture;
                decoded++;
            }
        }

        return last!;
    }

    /// <summary>Waits until the viewer is on another relay than <paramref name="from"/> and decodes a frame from it.</summary>
    public async Task<I420Picture> DecodeAfterMoveAsync(string from, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        await FleetStack.EventuallyAsync(() => Task.FromResult(Viewer!.RelayId is { } id && id != from && Viewer.Current is not null), timeout, "the viewer resubscribes on another relay");
        while (Viewer!.VideoFrames.TryRead(out _))
        {
            // Frames from before the move.
        }

        return await DecodeAsync(timeout - clock.Elapsed, frames: 1);
    }

    /// <summary>The host ends the session.</summary>
    public Task EndAsync() => HostApi!.EndSessionAsync(Session);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _sending;
        if (Viewer is not null)
        {
            await Viewer.DisposeAsync();
        }

        if (Publisher is not null)
        {
            await Publisher.DisposeAsync();
        }

        if (_source is not null)
        {
            await _source.DisposeAsync();
        }

        foreach (var signaling in new[] { HostSignaling, ViewerSignaling })
        {
            if (signaling is not null)
            {
                await signaling.DisposeAsync();
            }
        }

        foreach (var d in _disposables)
        {
            d.Dispose();
        }

        _stop.Dispose();
    }
}
