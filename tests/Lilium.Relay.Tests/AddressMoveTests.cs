using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>
/// After DTLS the media address is fixed: a valid (MESSAGE-INTEGRITY) nominating check from another address,
/// e.g. a captured check replayed from a spoofed source, moves it only once that address answers the relay's
/// own Binding request sent there.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AddressMoveTests : IAsyncLifetime
{
    private readonly RelayFixture _relay = new();

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Fact]
    public async Task A_check_from_a_new_address_moves_media_only_after_that_address_answers_the_relays_check()
    {
        var (_, peer, socket, password) = await SyntheticPeer.ConnectAsync(_relay);
        using (socket)
        using (var other = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            other.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var original = (IPEndPoint)socket.LocalEndPoint!;
            var moved = (IPEndPoint)other.LocalEndPoint!;
            Assert.Equal(PeerState.Secured, peer.State);
            Assert.Equal(original, peer.Endpoint);

            // An authenticated nominating check from the other address: answered, but the media address stays.
            other.SendTo(StunTestClient.BindingRequest($"{peer.LocalUfrag}:oGiI", password, useCandidate: true, out var sent), _relay.MediaEndPoint);
            var buffer = new byte[2048];
            byte[]? probe = null;
            for (var i = 0; i < 2; i++)
            {
                var n = await SyntheticPeer.ReceiveAsync(other, buffer).WaitAsync(TimeSpan.FromSeconds(5));
                var type = BinaryPrimitives.ReadUInt16BigEndian(buffer);
                if (type == 0x0001)
                {
                    probe = buffer[..n];
                }
                else
                {
                    Assert.Equal(0x0101, type); // the success response to our check
                    Assert.Equal(sent, buffer[8..20]);
                }
            }

            Assert.NotNull(probe); // the relay's own check to the new address
            await Task.Delay(200);
            Assert.Equal(original, peer.Endpoint);
            Assert.Same(peer, _relay.Registry.FindByEndpoint(original));
            Assert.Null(_relay.Registry.FindByEndpoint(moved));

            // A response with another transaction ID does not move it either.
            other.SendTo(ErrorResponse(new byte[12]), _relay.MediaEndPoint);
            await Task.Delay(200);
            Assert.Equal(original, peer.Endpoint);

            // Answering the relay's check (a 400, as a full agent answers a check without USERNAME) moves it.
            other.SendTo(ErrorResponse(probe.AsSpan(8, 12)), _relay.MediaEndPoint);
            for (var i = 0; i < 50 && !moved.Equals(peer.Endpoint); i++)
            {
                await Task.Delay(20);
            }

            Assert.Equal(moved, peer.Endpoint);
            Assert.Same(peer, _relay.Registry.FindByEndpoint(moved));
        }
    }

    private static byte[] ErrorResponse(ReadOnlySpan<byte> transactionId)
    {
        // Binding error response with ERROR-CODE 400 (RFC 5389 §15.6).
        var m = new byte[20 + 4 + 4];
        BinaryPrimitives.WriteUInt16BigEndian(m, 0x0111);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), 8);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), 0x2112A442);
        transactionId.CopyTo(m.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(20), 0x0009);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(22), 4);
        m[26] = 4;
        m[27] = 0;
        return m;
    }
}
