using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>RFC 7675 consent freshness with a short timeout: checks keep a peer, silence removes it.</summary>
[Trait("Category", "Integration")]
public sealed class ConsentTests : IAsyncLifetime
{
    private readonly RelayFixture _relay = new(o => o.ConsentTimeout = TimeSpan.FromSeconds(2));

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Fact]
    public async Task Peer_that_keeps_checking_stays_and_a_silent_one_is_torn_down()
    {
        // The silent peer connects first: connecting the other one (ICE + DTLS, seconds on a loaded machine) must not
        // run on the kept peer's 2 s consent clock before its keep-alive checks start.
        var (_, silent, silentSocket, _) = await SyntheticPeer.ConnectAsync(_relay);
        var (_, kept, keptSocket, keptPassword) = await SyntheticPeer.ConnectAsync(_relay);
        using (keptSocket)
        using (silentSocket)
        {
            var buffer = new byte[2048];
            for (var i = 0; i < 8; i++)
            {
                await Task.Delay(500);
                keptSocket.SendTo(StunTestClient.BindingRequest($"{kept.LocalUfrag}:oGiI", keptPassword, false, out _), _relay.MediaEndPoint);
                await SyntheticPeer.ReceiveAsync(keptSocket, buffer);
            }

            Assert.Equal(PeerState.Secured, kept.State);
            Assert.True(silent.IsClosed);
            Assert.Contains("consent", await silent.Closed);
            Assert.Null(_relay.Registry.FindPeer(silent.Id));
            Assert.Null(_relay.Registry.FindByEndpoint((System.Net.IPEndPoint)silentSocket.LocalEndPoint!));
        }
    }
}
