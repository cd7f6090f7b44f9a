using System.Text.Json.Nodes;
using Lilium.Client.Api;
using Lilium.Client.Media;
using Lilium.Client.Signaling;
using Lilium.Input;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;

namespace Lilium.Client.Tests;

/// <summary>
/// The README's minimal host and viewer, kept compiling here (the end-to-end tests exercise the same
/// calls). Endpoints: the API, the WebSocket API and the relay.
/// </summary>
internal static class Samples
{
    /// <summary>Host: register, log in, start a session, accept one join request, publish a test pattern, read input.</summary>
    public static async Task HostAsync(Uri api, Uri webSocket, Uri relay, CancellationToken cancellationToken)
    {
        using var me = LiliumIdentity.Create();
        using var client = new LiliumApiClient(api, me);
        await client.RegisterAsync("host", cancellationToken);
        await client.LoginAsync(cancellationToken);
        var session = await client.CreateSessionAsync(cancellationToken: cancellationToken);
        var grant = await client.IssueRelayGrantAsync(session.Id, cancellationToken);

        await using var signaling = await SignalingClient.ConnectAsync(webSocket, client.GetAccessTokenAsync, cancellationToken: cancellationToken);
        var request = await signaling.WaitForAsync(m => m.Action == "join.incoming", TimeSpan.FromMinutes(5), cancellationToken);
        await signaling.RequestAsync(new ToServer.JoinAccept(request.String("requestId")!), cancellationToken: cancellationToken);

        using var http = new HttpClient();
        await using var publisher = await MediaPublisher.ConnectAsync(http, relay, session.Id, grant.Token, cancellationToken: cancellationToken);
        await publisher.SetViewerGrantAsync(request.Guid("from")!.Value, InputPermissions.Mouse | InputPermissions.Keyboard, cancellationToken);
        await using var source = FfmpegVp8Source.TestPattern();
        var sending = Task.Run(async () =>
        {
            await foreach (var frame in source.ReadFramesAsync(cancellationToken))
            {
                publisher.SendVideoFrame(frame.Data, frame.RtpTimestamp);
            }
        }, cancellationToken);

        await foreach (var input in publisher.ReadInputAsync(cancellationToken))
        {
            Console.WriteLine($"{input.Viewer}: {input.Event}");
        }

        await sending;
    }

    /// <summary>Viewer: ask the host to join, then watch and move the host's mouse.</summary>
    public static async Task ViewAsync(Uri api, Uri webSocket, Guid host, Guid session, CancellationToken cancellationToken)
    {
        using var me = LiliumIdentity.Create();
        using var client = new LiliumApiClient(api, me);
        await client.RegisterAsync("viewer", cancellationToken);
        await client.LoginAsync(cancellationToken);

        await using var signaling = await SignalingClient.ConnectAsync(webSocket, client.GetAccessTokenAsync, cancellationToken: cancellationToken);
        await signaling.RequestAsync(new ToServer.JoinRequest(session, host), cancellationToken: cancellationToken);
        var admitted = await signaling.WaitForAsync(m => m.Action is "join.accepted" or "join.denied", TimeSpan.FromMinutes(2), cancellationToken);
        if (admitted.Action == "join.denied")
        {
            throw new LiliumException("Not admitted: " + admitted.String("reason"));
        }

        using var http = new HttpClient();
        await using var viewer = await MediaViewer.ConnectAsync(http, new Uri(admitted.String("relayUrl")!), session, admitted.String("grant")!, cancellationToken: cancellationToken);
        await foreach (var frame in viewer.VideoFrames.ReadAllAsync(cancellationToken))
        {
            Console.WriteLine($"frame {frame.RtpTimestamp}: {frame.Data.Length} bytes{(frame.IsKeyframe ? " (key)" : "")}");
            viewer.SendInput(new MouseMoveEvent(false, 32768, 32768));
        }
    }
}
