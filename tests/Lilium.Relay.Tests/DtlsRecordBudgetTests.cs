using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>
/// After DTLS, every record from a peer goes through our record layer on the media thread: a record that fails is
/// dropped (RFC 6347 §4.1.2.7), and a peer past the bad-record budget (64) is closed, so one source of junk cannot
/// keep costing the relay an AES-GCM open per datagram forever.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DtlsRecordBudgetTests : IAsyncLifetime
{
    private readonly RelayFixture _relay = new();

    // An application-data record, DTLS 1.2, epoch 1, whose 32 bytes are not a valid ciphertext.
    private static readonly byte[] ForgedRecord =
    [
        0x17, 0xfe, 0xfd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0x20,
        .. Enumerable.Range(0, 0x20).Select(i => (byte)i),
    ];

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Fact]
    public async Task A_peer_whose_records_fail_past_the_budget_is_closed_and_one_within_it_is_not()
    {
        var (_, peer, socket, _) = await SyntheticPeer.ConnectAsync(_relay);
        using (socket)
        {
            Assert.Equal(PeerState.Secured, peer.State);
            for (var i = 0; i < 64; i++)
            {
                socket.SendTo(ForgedRecord, _relay.MediaEndPoint);
            }

            for (var i = 0; i < 100 && peer.Dtls!.DroppedRecords < 64; i++)
            {
                await Task.Delay(20);
            }

            Assert.Equal(64, peer.Dtls!.DroppedRecords);
            Assert.Equal(PeerState.Secured, peer.State); // within the budget: dropped, nothing else

            socket.SendTo(ForgedRecord, _relay.MediaEndPoint);

            var reason = await peer.Closed.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Contains("records failed", reason);
            Assert.True(peer.IsClosed);
            Assert.Null(_relay.Registry.FindByEndpoint(peer.Endpoint!));
        }
    }
}
