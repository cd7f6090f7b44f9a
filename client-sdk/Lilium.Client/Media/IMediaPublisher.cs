using Lilium.Protocol;

namespace Lilium.Client.Media;

/// <summary>
/// What the capture and input pipelines (<see cref="Capture.ScreenStreamer"/>, <see cref="Capture.AudioStreamer"/>,
/// <see cref="Injection.RemoteInputApplier"/>) need of a publisher: one WHIP connection (<see cref="MediaPublisher"/>)
/// or one that republishes by itself when the session's relay moves (<see cref="RelayPublisher"/>).
/// </summary>
public interface IMediaPublisher
{
    /// <summary>The relay asked for a keyframe (a viewer joined, packets were lost, or the publisher reconnected).</summary>
    event Action? KeyframeRequested;

    /// <summary>The relay's receiver-estimated maximum bitrate (REMB, bits/s).</summary>
    event Action<ulong>? BitrateEstimated;

    /// <summary>A viewer opened its input channel.</summary>
    event Action<ViewerPresence>? ViewerJoined;

    /// <summary>A viewer's media connection ended.</summary>
    event Action<ViewerPresence>? ViewerLeft;

    /// <summary><c>VP8</c> or <c>H264</c>.</summary>
    string VideoCodec { get; }

    /// <summary>Sends one encoded frame; false while no connection is up.</summary>
    bool SendVideoFrame(ReadOnlySpan<byte> frame, uint rtpTimestamp);

    /// <summary>Sends one Opus packet; false while no connection is up.</summary>
    bool SendAudio(ReadOnlySpan<byte> opus, uint rtpTimestamp);

    /// <summary>Input events from viewers, as the relay let them through.</summary>
    IAsyncEnumerable<RemoteInput> ReadInputAsync(CancellationToken cancellationToken = default);

    /// <summary>Changes what a viewer may do, at the relay, at once.</summary>
    Task<GrantApplied> SetViewerGrantAsync(Guid viewer, InputPermissions permissions, CancellationToken cancellationToken = default);
}
