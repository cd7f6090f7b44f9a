using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>
/// After DTLS the media address is fixed: a valid (MESSAGE-INTEGRITY) nominating check from another address,
/// e.g. a captured check replayed from a spoofed source, moves it only once that address answers the relay's
/// own connectivity check sent there with a success response authenticated by the peer's ICE password — which a
/// spoofer's victim (or anyone but the peer) cannot produce.
/// </summary>
[Trait("Category", "Integration")]
public sealed class AddressMoveTests : IAsyncLifetime
{
    private readonly RelayFixture _relay = new();

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Fact]
    public async Task A_check_from_a_new_address_moves_media_only_after_that_address_answers_the_relays_check_as_the_peer()
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

            // The probe is a check keyed with the peer's password from its offer (RFC 8445 §7.2.2).
            Assert.True(Lilium.WebRtc.Stun.StunMessage.TryParse(probe, out var check));
            Assert.True(check.VerifyMessageIntegrity(PeerPassword.Key));
            Assert.True(check.TryGetAttribute(Lilium.WebRtc.Stun.StunAttributeType.Username, out var username));
            Assert.Equal($"oGiI:{peer.LocalUfrag}", System.Text.Encoding.ASCII.GetString(username));

            // Neither a response with another transaction ID, nor an error response (what a victim's STUN server would
            // send), nor a success keyed with the wrong password moves it.
            other.SendTo(Success(new byte[12], PeerPassword, moved), _relay.MediaEndPoint);
            other.SendTo(ErrorResponse(probe.AsSpan(8, 12)), _relay.MediaEndPoint);
            other.SendTo(Success(probe.AsSpan(8, 12), new Lilium.WebRtc.Ice.IceCredentials("oGiI", "not-the-peers-password-at-all"), moved), _relay.MediaEndPoint);
            await Task.Delay(300);
            Assert.Equal(original, peer.Endpoint);

            // The peer's authenticated success response moves it.
            other.SendTo(Success(probe.AsSpan(8, 12), PeerPassword, moved), _relay.MediaEndPoint);
            for (var i = 0; i < 50 && !moved.Equals(peer.Endpoint); i++)
            {
                await Task.Delay(20);
            }

            Assert.Equal(moved, peer.Endpoint);
            Assert.Same(peer, _relay.Registry.FindByEndpoint(moved));
        }
    }

    // The test offers' ICE credentials (TestOffers: ufrag oGiI).
    private static readonly Lilium.WebRtc.Ice.IceCredentials PeerPassword = new("oGiI", "GNInPXMd3a63snFKjkSxlZ");

    private static byte[] Success(ReadOnlySpan<byte> transactionId, Lilium.WebRtc.Ice.IceCredentials key, IPEndPoint mapped)
    {
        var buffer = new byte[128];
        var writer = new Lilium.WebRtc.Stun.StunWriter(buffer, Lilium.WebRtc.Stun.StunMessageType.BindingSuccess, transactionId);
        writer.AddXorMappedAddress(mapped);
        writer.AddMessageIntegrity(key.Key);
        writer.AddFingerprint();
        return buffer[..writer.Length];
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
