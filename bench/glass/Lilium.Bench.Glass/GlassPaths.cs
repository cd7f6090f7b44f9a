using Lilium.Auth;
using Microsoft.Playwright;

/// <summary>One way from the host page to the viewer page: connects both (the viewer last), and tears them down.</summary>
internal interface IGlassPath
{
    string Name { get; }

    Task ConnectAsync(IPage host, IPage viewer);
}

/// <summary>Through our relay: the host publishes with WHIP, the viewer plays with WHEP, each with its grant.</summary>
internal sealed class RelayPath(RelayProcess relay) : IGlassPath
{
    public string Name => "relay";

    public async Task ConnectAsync(IPage host, IPage viewer)
    {
        var session = Guid.NewGuid();
        await host.EvaluateAsync("([url, grant]) => window.host.publishWhip(url, grant)", new[] { relay.Whip(session).ToString(), relay.Grant(session, RelayRole.Host) });
        var viewerGrant = relay.Grant(session, RelayRole.Viewer);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await viewer.EvaluateAsync("([url, grant]) => window.viewer.subscribeWhep(url, grant)", new[] { relay.Whep(session).ToString(), viewerGrant });
                return;
            }
            catch (PlaywrightException e) when (attempt < 10 && e.Message.Contains("HTTP 409", StringComparison.Ordinal))
            {
                // The relay answers 409 no-publisher until the host's media has arrived.
                await viewer.EvaluateAsync("() => window.viewer.stop()");
                await Task.Delay(500);
            }
        }
    }
}

/// <summary>Through Janus's VideoRoom, driven by the pages over its HTTP API: the host joins as the room's publisher.</summary>
internal sealed class JanusPath(JanusServer janus) : IGlassPath
{
    public string Name => "janus";

    public async Task ConnectAsync(IPage host, IPage viewer)
    {
        var feed = await host.EvaluateAsync<long>("([base, room]) => window.host.publishJanus(base, room)", new object[] { janus.Api.ToString(), JanusServer.Room });
        await viewer.EvaluateAsync("([base, room, feed]) => window.viewer.subscribeJanus(base, room, feed)", new object[] { janus.Api.ToString(), JanusServer.Room, feed });
    }
}

/// <summary>The floor: one RTCPeerConnection from the host's browser straight to the viewer's, the descriptions carried by the harness.</summary>
internal sealed class DirectPath : IGlassPath
{
    public string Name => "direct";

    public async Task ConnectAsync(IPage host, IPage viewer)
    {
        var offer = await host.EvaluateAsync<string>("() => window.host.directOffer()");
        var answer = await viewer.EvaluateAsync<string>("offer => window.viewer.directAnswer(offer)", offer);
        await host.EvaluateAsync("answer => window.host.directAnswer(answer)", answer);
        await viewer.EvaluateAsync("() => window.viewer.connected()");
    }
}
